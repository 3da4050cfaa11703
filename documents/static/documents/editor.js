// Keeps a writer's unsent text in this browser until the server confirms it.
//
// Every keystroke is copied to localStorage. The copy is dropped only when the
// server confirms the same text (an autosave answer, or the section page after
// a save). When a save or autosave fails (database away, connection lost), the
// copy stays, the writer is told, and the edit page offers it back next time.
(function () {
  "use strict";

  function storageKey(sectionId) {
    return "denktank:section:" + sectionId + ":unsent";
  }

  function read(sectionId) {
    try {
      return JSON.parse(window.localStorage.getItem(storageKey(sectionId)) || "null");
    } catch (error) {
      return null;
    }
  }

  function write(sectionId, text) {
    try {
      window.localStorage.setItem(storageKey(sectionId), JSON.stringify({ text: text, at: Date.now() }));
    } catch (error) {
      // Storage full or disabled: the server draft still protects the text.
    }
  }

  function forget(sectionId, text) {
    const kept = read(sectionId);
    if (kept && (text === undefined || kept.text === text)) {
      window.localStorage.removeItem(storageKey(sectionId));
    }
  }

  function setupEditor(form) {
    const sectionId = form.dataset.section;
    const textarea = form.querySelector("textarea[name=text]");
    const status = document.getElementById("unsent-status");
    const kept = read(sectionId);

    if (kept && kept.text !== textarea.value) {
      const banner = document.getElementById("unsent-banner");
      banner.hidden = false;
      banner.querySelector("[data-unsent-time]").textContent = new Date(kept.at).toLocaleString(document.documentElement.lang || undefined);
      banner.querySelector("[data-unsent-restore]").addEventListener("click", function () {
        textarea.value = kept.text;
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
        banner.hidden = true;
        textarea.focus();
      });
      banner.querySelector("[data-unsent-discard]").addEventListener("click", function () {
        forget(sectionId);
        banner.hidden = true;
        textarea.focus();
      });
    }

    textarea.addEventListener("input", function () {
      write(sectionId, textarea.value);
    });
    form.addEventListener("submit", function () {
      write(sectionId, textarea.value);
    });

    // Autosave answers: a confirmed draft releases the local copy of that text,
    // a failure says the text is safe in this browser only.
    document.body.addEventListener("htmx:afterRequest", function (event) {
      if (event.detail.elt.id !== "autosave-status") {
        return;
      }
      const config = event.detail.requestConfig || {};
      const sent = config.formData ? config.formData.get("text") : undefined;
      if (event.detail.successful) {
        status.hidden = true;
        if (sent !== undefined) {
          forget(sectionId, sent);
        }
      } else {
        status.hidden = false;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const form = document.querySelector("form[data-keep-unsent]");
    if (form) {
      setupEditor(form);
    }
    // The section page after a save: the server has the text now.
    const saved = document.querySelector("[data-saved-section]");
    if (saved) {
      forget(saved.dataset.savedSection);
    }
  });
})();
