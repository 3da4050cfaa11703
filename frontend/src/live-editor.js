// The live section editor: everyone on a section edits one shared Markdown text.
//
// The page renders the plain form (a <textarea name=text>) and, beside it, a
// hidden [data-live-editor] element whose data-* attributes carry the section,
// the writer's name and colour and the translated texts. This script connects
// to /ws/einddocument/<pk>/ and, once the server's text has arrived, swaps the
// textarea for CodeMirror bound to the shared Yjs text. Until then, and
// whenever the live connection cannot be made, the form works as before.
//
// The textarea keeps the live text, so the form still posts it (the fallback
// "Opslaan" while the connection is down). While connected, "Opslaan" asks the
// server for a numbered revision of the live text instead ("Versie vastleggen").
//
// Nothing typed is lost: the server answers every stored change with a
// "saved" message counting the changes it handled on this connection. What it
// has not confirmed is kept in localStorage and merged in again on the next
// visit, and leaving the page with unconfirmed changes asks first.

import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { yCollab, ySyncAnnotation } from 'y-codemirror.next'
import { EditorView, basicSetup } from 'codemirror'
import { Compartment, EditorState } from '@codemirror/state'
import { markdown } from '@codemirror/lang-markdown'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { toBase64, fromBase64 } from 'lib0/buffer'

const CONTROL = 100 // our JSON control messages (see documents/live/protocol.py)
const SYNC = 0
const SYNC_STEP2 = 1
const SYNC_UPDATE = 2

// A socket that counts the changes it sends, so the server's "saved" count can be
// compared with it: everything sent on this connection is stored once they match.
class CountingWebSocket extends WebSocket {
  constructor (url, protocols) {
    super(url, protocols)
    this.sentChanges = 0
    this.lastStep2 = 0
    this.handled = 0
  }

  send (data) {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data)
    if (bytes[0] === SYNC && (bytes[1] === SYNC_STEP2 || bytes[1] === SYNC_UPDATE)) {
      this.sentChanges += 1
      if (bytes[1] === SYNC_STEP2) this.lastStep2 = this.sentChanges
    }
    super.send(data)
  }
}

function text (root, name, fallback) {
  return root.dataset['text' + name] || fallback || ''
}

function format (template, values) {
  return template.replace(/\{(\w+)\}/g, (_, key) => String(values[key]))
}

function storageKey (sectionId) {
  return 'denktank:live:' + sectionId
}

function setupLiveEditor (root) {
  const sectionId = root.dataset.liveSection
  const textarea = root.dataset.liveTextarea ? document.querySelector(root.dataset.liveTextarea) : null
  const form = root.dataset.liveForm ? document.querySelector(root.dataset.liveForm) : null
  const baseInput = root.dataset.liveBase ? document.querySelector(root.dataset.liveBase) : null
  const noteInput = root.dataset.liveNote ? document.querySelector(root.dataset.liveNote) : null
  const statusElement = root.querySelector('[data-live-status]')
  const peopleElement = root.querySelector('[data-live-people]')
  const mount = root.querySelector('[data-live-mount]')
  const submitButton = form ? form.querySelector('button[type=submit]') : null
  const initialValue = textarea ? textarea.value : ''
  const maxChars = Number(root.dataset.liveMax) || Infinity

  const doc = new Y.Doc()
  const ytext = doc.getText('text')
  const scheme = window.location.protocol === 'https:' ? 'wss://' : 'ws://'
  const provider = new WebsocketProvider(scheme + window.location.host + '/ws/einddocument', sectionId + '/', doc, {
    disableBc: true, // every change goes through the server, which checks and stores it
    resyncInterval: 10000,
    maxBackoffTime: 3000,
    WebSocketPolyfill: CountingWebSocket
  })
  const awareness = provider.awareness

  let live = false
  let gaveUp = false
  let mode = { readonly: true, frozen: false, epoch: '', head: null }
  let offlineDirty = false
  let mustHandle = 0
  let note = ''
  let noAccess = false
  let committing = false
  let commitText = null
  let submitting = false
  let view = null
  const readOnly = new Compartment()

  // As the server announces this writer to the others (it overwrites what a browser claims).
  function identity () {
    const colour = root.dataset.liveColour
    return { id: Number(root.dataset.liveUser), name: root.dataset.liveName, color: colour, colorLight: colour + '33', readonly: mode.readonly }
  }

  function socket () {
    return provider.wsconnected ? provider.ws : null
  }

  function saved () {
    const ws = socket()
    return !offlineDirty && ws !== null && provider.synced && ws.handled >= mustHandle
  }

  function renderStatus () {
    if (!live) return
    let label, tone
    if (noAccess) {
      label = text(root, 'Noaccess'); tone = 'danger'
    } else if (!socket()) {
      label = text(root, 'Offline'); tone = 'warning'
    } else if (mode.frozen) {
      label = text(root, 'Frozen'); tone = 'secondary'
    } else if (mode.readonly) {
      label = text(root, 'Readonly'); tone = 'secondary'
    } else if (!saved()) {
      label = text(root, 'Saving'); tone = 'info'
    } else {
      label = text(root, 'Saved'); tone = 'success'
    }
    statusElement.textContent = note ? label + ' · ' + note : label
    statusElement.className = 'badge rounded-pill text-bg-' + tone
    statusElement.dataset.state = noAccess ? 'noaccess' : !socket() ? 'offline' : mode.readonly ? 'readonly' : saved() ? 'saved' : 'saving'
    keepUnconfirmed()
  }

  // --- Unconfirmed changes survive a closed tab ----------------------------------------

  let keepTimer = null
  function keepUnconfirmed () {
    if (!live || mode.readonly) return
    if (saved()) {
      window.clearTimeout(keepTimer)
      keepTimer = null
      try { window.localStorage.removeItem(storageKey(sectionId)) } catch (error) {}
      forgetFormCopy(ytext.toString())
      return
    }
    if (keepTimer !== null) return
    keepTimer = window.setTimeout(function () {
      keepTimer = null
      if (saved()) return
      try {
        window.localStorage.setItem(storageKey(sectionId), JSON.stringify({
          epoch: mode.epoch, at: Date.now(), state: toBase64(Y.encodeStateAsUpdate(doc))
        }))
      } catch (error) {
        // Storage full or disabled: the warning on leaving still protects the text.
      }
    }, 300)
  }

  // editor.js keeps the form's text until the server confirms it; the live text
  // on the server confirms it as well.
  function forgetFormCopy (confirmed) {
    const key = 'denktank:section:' + sectionId + ':unsent'
    try {
      const copy = JSON.parse(window.localStorage.getItem(key) || 'null')
      if (copy && copy.text === confirmed) window.localStorage.removeItem(key)
    } catch (error) {}
  }

  function restoreUnconfirmed () {
    let kept = null
    try { kept = JSON.parse(window.localStorage.getItem(storageKey(sectionId)) || 'null') } catch (error) {}
    if (!kept || kept.epoch !== mode.epoch || mode.readonly) return
    // Applying a kept state again is harmless: what the server has already is skipped.
    Y.applyUpdate(doc, fromBase64(kept.state), 'kept')
  }

  // --- The writer's private draft from the form editor ---------------------------------

  // The form shows the writer's autosaved draft until the live editor takes over;
  // then the shared text replaces it, so the draft is offered back instead of
  // vanishing: inserted as an edit of the live text (the server merges it) or
  // thrown away.
  const draftBanner = document.querySelector('[data-live-draft]')
  let draftOffered = false

  function offerDraft () {
    if (!draftBanner || draftOffered || mode.readonly) return
    draftOffered = true
    if (initialValue === ytext.toString()) {
      // The same text as the shared one: nothing to offer, and nothing is lost.
      sendControl({ type: 'draft', action: 'discard' })
      return
    }
    draftBanner.hidden = false
  }

  function draftResult (key) {
    if (!draftBanner) return
    const result = draftBanner.querySelector('[data-live-draft-result]')
    result.textContent = draftBanner.dataset['text' + key] || ''
    result.hidden = false
    draftBanner.querySelectorAll('button').forEach(function (button) { button.disabled = false })
    const done = key !== 'Failed' && key !== 'Toolong'
    draftBanner.querySelector('[data-live-draft-offer]').hidden = done
    if (done) draftBanner.classList.replace('alert-info', 'alert-success')
  }

  function askDraft (action) {
    if (!draftBanner) return
    draftBanner.querySelectorAll('button').forEach(function (button) { button.disabled = true })
    if (!sendControl({ type: 'draft', action: action })) draftResult('Failed')
  }

  if (draftBanner) {
    draftBanner.hidden = true
    draftBanner.querySelector('[data-live-draft-apply]').addEventListener('click', function () { askDraft('apply') })
    draftBanner.querySelector('[data-live-draft-discard]').addEventListener('click', function () { askDraft('discard') })
  }

  // --- The editor ------------------------------------------------------------------------

  function syncTextarea () {
    if (!textarea) return
    textarea.value = ytext.toString()
    // Not "input": that would also start the form's private-draft autosave.
    textarea.dispatchEvent(new CustomEvent('liveinput', { bubbles: true }))
  }

  function replaceText (target) {
    if (mode.readonly) return
    const current = ytext.toString()
    if (current === target) return
    let start = 0
    const shortest = Math.min(current.length, target.length)
    while (start < shortest && current[start] === target[start]) start++
    let end = 0
    while (end < shortest - start && current[current.length - 1 - end] === target[target.length - 1 - end]) end++
    // Never cut between the two halves of a character outside the basic plane (an emoji).
    if (start > 0 && /[\uD800-\uDBFF]/.test(current[start - 1])) start--
    if (end > 0 && /[\uDC00-\uDFFF]/.test(current[current.length - end])) end--
    doc.transact(function () {
      ytext.delete(start, current.length - end - start)
      ytext.insert(start, target.slice(start, target.length - end))
    })
  }

  function goLive () {
    live = true
    const host = document.createElement('div')
    host.className = 'live-editor-host'
    mount.appendChild(host)
    // In a shadow root CodeMirror's styles go into an adopted style sheet,
    // which the Content-Security-Policy (no inline <style>) allows.
    const shadow = host.attachShadow({ mode: 'open' })
    const container = document.createElement('div')
    shadow.appendChild(container)
    const label = text(root, 'Editor', 'Markdown')
    // CodeMirror's own words (search panel, go to line, folding, announcements) in the page's language.
    const phrasesElement = root.dataset.livePhrases ? document.getElementById(root.dataset.livePhrases) : null
    const phrases = phrasesElement ? JSON.parse(phrasesElement.textContent) : {}
    view = new EditorView({
      root: shadow,
      parent: container,
      state: EditorState.create({
        doc: ytext.toString(),
        extensions: [
          basicSetup,
          EditorState.phrases.of(phrases),
          markdown(),
          EditorView.lineWrapping,
          yCollab(ytext, awareness, { undoManager: new Y.UndoManager(ytext) }),
          EditorView.contentAttributes.of({ 'aria-label': label }),
          EditorView.theme({
            '&': {
              minHeight: '28rem',
              border: '1px solid var(--bs-border-color, #dee2e6)',
              borderRadius: 'var(--bs-border-radius, .375rem)',
              backgroundColor: 'var(--bs-body-bg, #fff)',
              fontSize: '0.95rem'
            },
            '&.cm-focused': { outline: '2px solid var(--bs-primary, #0d6efd)', outlineOffset: '1px' },
            '.cm-scroller': { fontFamily: 'var(--bs-font-monospace, monospace)', minHeight: '28rem' },
            '.cm-content': { padding: '0.5rem 0' },
            // The writers' names stay visible by their cursors, not only on hover.
            '.cm-ySelectionInfo': { opacity: '1', top: '-1.15em', fontSize: '0.7rem', padding: '0 3px' }
          }),
          readOnly.of(readOnlyExtension()),
          // As the form: a section holds at most this many characters (the server refuses more).
          // Changes arriving from the others always pass, or this editor would drift from the text.
          EditorState.changeFilter.of(function (transaction) {
            return !transaction.docChanged || transaction.annotation(ySyncAnnotation) !== undefined ||
              transaction.newDoc.length <= maxChars || transaction.newDoc.length <= transaction.startState.doc.length
          })
        ]
      })
    })
    applyMode()
    ytext.observe(syncTextarea)
    syncTextarea()
    if (mode.head && mode.head.id && baseInput) baseInput.value = mode.head.id
    if (textarea) {
      textarea.hidden = true
      // Text put into the hidden field by other scripts (editor.js offers back text this
      // browser kept) becomes an edit of the live text.
      textarea.addEventListener('input', function () { replaceText(textarea.value) })
    }
    root.hidden = false
    // Page parts that only make sense for the form (its autosave) or only live.
    document.querySelectorAll('[data-live-hide]').forEach(function (element) { element.hidden = true })
    document.querySelectorAll('[data-live-show]').forEach(function (element) { element.hidden = false })
    if (submitButton) {
      submitButton.dataset.formLabel = submitButton.textContent
      submitButton.textContent = text(root, 'Commit', submitButton.textContent)
    }
    restoreUnconfirmed()
    offerDraft()
    renderStatus()
  }

  function readOnlyExtension () {
    return [EditorState.readOnly.of(mode.readonly), EditorView.editable.of(!mode.readonly)]
  }

  function applyMode () {
    if (view) view.dispatch({ effects: readOnly.reconfigure(readOnlyExtension()) })
    if (submitButton && live) submitButton.disabled = mode.readonly && mode.frozen
  }

  // --- Who is here -----------------------------------------------------------------------

  function renderPeople () {
    const people = new Map()
    awareness.getStates().forEach(function (state, clientId) {
      const user = state && state.user
      if (!user) return
      const key = user.id !== undefined ? 'u' + user.id : 'c' + clientId
      const me = clientId === doc.clientID
      const known = people.get(key)
      people.set(key, { name: user.name, color: user.color, readonly: user.readonly, me: me || (known && known.me) })
    })
    peopleElement.replaceChildren()
    Array.from(people.values())
      .sort(function (a, b) { return (b.me - a.me) || String(a.name).localeCompare(String(b.name)) })
      .forEach(function (person) {
        const item = document.createElement('li')
        item.className = 'list-inline-item live-person'
        item.dataset.livePerson = person.name
        const dot = document.createElement('span')
        dot.setAttribute('aria-hidden', 'true')
        dot.style.display = 'inline-block'
        dot.style.width = '0.7em'
        dot.style.height = '0.7em'
        dot.style.borderRadius = '50%'
        dot.style.marginRight = '0.3em'
        dot.style.backgroundColor = person.color
        item.appendChild(dot)
        let label = person.name
        if (person.me) label += ' (' + text(root, 'You', 'you') + ')'
        if (person.readonly) label += ' · ' + text(root, 'Following', 'read-only')
        item.appendChild(document.createTextNode(label))
        peopleElement.appendChild(item)
      })
  }

  // --- Messages from the server ----------------------------------------------------

  let noteTimer = null
  function showNote (value) {
    note = value
    window.clearTimeout(noteTimer)
    noteTimer = window.setTimeout(function () { note = ''; renderStatus() }, 15000)
  }

  function onControl (message) {
    if (message.type === 'mode') {
      mode = { readonly: !!message.readonly, frozen: !!message.frozen, epoch: message.epoch || mode.epoch, head: message.head }
      // Until the live editor took over, the form keeps the revision the writer started from.
      if (live && message.head && message.head.id && baseInput) baseInput.value = message.head.id
      applyMode()
      awareness.setLocalStateField('user', identity())
    } else if (message.type === 'saved') {
      const ws = provider.ws
      if (ws) {
        ws.handled = message.handled
        if (offlineDirty && ws.lastStep2 > 0 && ws.handled >= ws.lastStep2) offlineDirty = false
      }
    } else if (message.type === 'revision') {
      if (live && baseInput) baseInput.value = message.id
      showNote(format(text(root, 'Revision', '#{number}'), message))
    } else if (message.type === 'committed') {
      committing = false
      if (submitButton) submitButton.disabled = false
      if (message.id && baseInput) baseInput.value = message.id
      showNote(format(text(root, message.unchanged ? 'Unchanged' : 'Committed', '#{number}'), message))
      if (noteInput && !message.unchanged) noteInput.value = ''
      forgetFormCopy(commitText)
    } else if (message.type === 'draft') {
      const keys = { applied: message.both ? 'AppliedBoth' : 'Applied', discarded: 'Discarded', gone: 'Gone', 'too-long': 'Toolong' }
      // Thrown away quietly (the same text as the shared one): nothing to say.
      if (draftBanner && !draftBanner.hidden) draftResult(keys[message.result] || 'Failed')
    } else if (message.type === 'commit-failed') {
      committing = false
      if (submitButton) submitButton.disabled = false
      showNote(text(root, 'Commitfailed'))
    }
    renderStatus()
  }

  provider.messageHandlers[CONTROL] = function (_encoder, decoder) {
    try {
      onControl(JSON.parse(decoding.readVarString(decoder)))
    } catch (error) {
      console.error('live editor: bad control message', error)
    }
  }

  function sendControl (message) {
    const ws = socket()
    if (!ws) return false
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, CONTROL)
    encoding.writeVarString(encoder, JSON.stringify(message))
    ws.send(encoding.toUint8Array(encoder))
    return true
  }

  // --- Connection ---------------------------------------------------------------------

  provider.on('sync', function (isSynced) {
    if (!isSynced || live || gaveUp) return
    if (textarea && textarea.value !== initialValue) {
      // The writer started in the plain form before the live text arrived:
      // their text stays there, and "Opslaan" saves it (merged by paragraph).
      gaveUp = true
      provider.destroy()
      return
    }
    goLive()
  })
  provider.on('status', renderStatus)
  provider.on('closed', function (event) {
    // 4403 / 4404: no access (any more) or no such section; reconnecting cannot help.
    noAccess = true
    mode = Object.assign({}, mode, { readonly: true })
    applyMode()
    renderStatus()
  })
  provider.on('connection-close', function () {
    // A "Versie vastleggen" without an answer: the writer may click again.
    if (committing) {
      committing = false
      if (submitButton) submitButton.disabled = false
      showNote(text(root, 'Commitfailed'))
    }
    renderStatus()
  })

  doc.on('update', function (_update, origin) {
    if (origin === provider) return
    // A local change. The provider has already sent it if it could.
    const ws = socket()
    if (ws) {
      mustHandle = Math.max(mustHandle, ws.sentChanges)
    } else {
      offlineDirty = true
    }
    renderStatus()
  })

  awareness.on('change', renderPeople)
  awareness.setLocalStateField('user', identity())

  // The browser's own idea of being offline (also what tests switch): stop and
  // resume at once instead of waiting for the connection watchdog.
  window.addEventListener('offline', function () { if (!gaveUp) provider.disconnect() })
  window.addEventListener('online', function () { if (!gaveUp) provider.connect() })

  // A stale mustHandle from an old socket must not count against a new one.
  provider.on('status', function (event) {
    if (event.status === 'connected') mustHandle = 0
  })

  if (form) {
    form.addEventListener('submit', function (event) {
      if (!live || mode.readonly || !socket()) {
        // The plain form posts the live text (kept in the textarea).
        submitting = true
        return
      }
      event.preventDefault()
      if (committing) return
      committing = true
      commitText = ytext.toString()
      if (submitButton) submitButton.disabled = true
      sendControl({ type: 'commit', note: noteInput ? noteInput.value : '' })
    })
  }

  window.addEventListener('beforeunload', function (event) {
    if (live && !mode.readonly && !saved() && !submitting) {
      event.preventDefault()
      event.returnValue = ''
    }
  })

  window.setInterval(renderStatus, 5000)
}

document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('[data-live-editor]').forEach(setupLiveEditor)
})
