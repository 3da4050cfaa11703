/* Behaviour shared by every page. The Content-Security-Policy forbids inline
 * event handlers (onclick, onsubmit), so templates declare what they need
 * with data attributes and this file acts on them:
 *
 *   <form data-confirm="Really remove this?">  asks before submitting and
 *                                               cancels when declined (a
 *                                               submit button may carry its
 *                                               own data-confirm instead);
 *   <input data-select-on-focus>               selects its text when focused
 *                                               or clicked (feed URLs to copy).
 *
 * Listeners sit on the document, so content that htmx swaps in later works
 * without setting anything up again.
 */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var source = submitter && submitter.hasAttribute("data-confirm") ? submitter : form;
    if (!(source instanceof Element) || !source.hasAttribute("data-confirm")) {
      return;
    }
    if (!window.confirm(source.getAttribute("data-confirm"))) {
      event.preventDefault();
      // htmx listens for submit too: stop it from sending the request.
      event.stopImmediatePropagation();
    }
  }, true);

  function selectText(event) {
    var field = event.target;
    if (field instanceof Element && field.hasAttribute("data-select-on-focus") && typeof field.select === "function") {
      field.select();
    }
  }
  document.addEventListener("focusin", selectText);
  // A click on an already focused field would otherwise just move the caret.
  document.addEventListener("click", selectText);
})();
