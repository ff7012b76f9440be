// The one-hand set logger of the athlete's phone page (/today/ and the ad hoc log).
//
// The set form works without JavaScript; the template renders these helpers hidden and this
// file reveals them:
// - [data-logger="timer"]: a countdown from the prescribed time (data-target-seconds, e.g. 120
//   for the 2:00 ankling sets) with start/pause/reset, or a stopwatch for holds. At zero it
//   beeps (WebAudio), vibrates, announces the end in its live region and writes the target into
//   the seconds field (data-field); pausing the stopwatch writes the time held.
// - [data-logger="counter"]: a big tap area, +1 per tap and "Undo −1", writing the count into
//   the reps or foot-contacts field.
// - side buttons: the save button says which side the set is for; after a save the server's
//   next form defaults to the other side. A form saved without a round trip (the offline queue)
//   can call window.BaselineSetLogger.advance(form), or dispatch "set-logger:saved" on it, to
//   flip the side and reset the helpers for the next set.
(function () {
  "use strict";

  var TICK_MS = 200;

  function clock(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function spoken(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    var parts = [];
    if (minutes) parts.push(minutes + (minutes === 1 ? " minute" : " minutes"));
    if (rest || !minutes) parts.push(rest + (rest === 1 ? " second" : " seconds"));
    return parts.join(" ");
  }

  function setField(input, value) {
    if (!input) return;
    input.value = String(value);
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // --- sound, vibration, screen ----------------------------------------------------------------

  var audio = null;

  // Made (or resumed) on the Start tap: browsers only allow sound after a user gesture.
  function unlockAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      if (!audio) audio = new Context();
      if (audio.state === "suspended") audio.resume();
    } catch (error) {
      audio = null;
    }
  }

  function beep() {
    if (!audio) return;
    try {
      var start = audio.currentTime;
      [0, 0.3, 0.6].forEach(function (offset, index) {
        var oscillator = audio.createOscillator();
        var gain = audio.createGain();
        oscillator.type = "sine";
        oscillator.frequency.value = index === 2 ? 1320 : 880;
        gain.gain.setValueAtTime(0.0001, start + offset);
        gain.gain.exponentialRampToValueAtTime(0.4, start + offset + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.22);
        oscillator.connect(gain).connect(audio.destination);
        oscillator.start(start + offset);
        oscillator.stop(start + offset + 0.25);
      });
    } catch (error) {
      /* no sound: the message and the vibration still tell */
    }
  }

  function vibrate() {
    if (navigator.vibrate) {
      try { navigator.vibrate([300, 150, 300, 150, 300]); } catch (error) { /* ignored */ }
    }
  }

  function keepAwake(timer) {
    if (!navigator.wakeLock || timer.wakeLock) return;
    navigator.wakeLock.request("screen").then(function (lock) {
      timer.wakeLock = lock;
    }, function () { /* not allowed: the timer still runs */ });
  }

  function letSleep(timer) {
    if (timer.wakeLock) {
      timer.wakeLock.release().catch(function () {});
      timer.wakeLock = null;
    }
  }

  // --- the timer -------------------------------------------------------------------------------

  function Timer(root) {
    this.root = root;
    this.field = document.getElementById(root.dataset.field);
    this.display = root.querySelector("[data-timer-display]");
    this.message = root.querySelector("[data-timer-message]");
    this.toggleButton = root.querySelector('[data-timer-action="toggle"]');
    this.target = parseInt(root.dataset.targetSeconds, 10) || 0;
    this.mode = this.target ? "down" : "up";
    this.elapsedMs = 0;
    this.startedAt = null;
    this.interval = null;
    this.finished = false;
    this.wakeLock = null;
    this.render();
  }

  Timer.prototype.goal = function () {
    // Without a prescription (an ad hoc set) the countdown starts from the seconds typed in.
    return this.target || parseInt(this.field && this.field.value, 10) || 0;
  };

  Timer.prototype.elapsed = function () {
    var running = this.startedAt === null ? 0 : Date.now() - this.startedAt;
    return this.elapsedMs + running;
  };

  Timer.prototype.seconds = function () {
    var elapsed = Math.floor(this.elapsed() / 1000);
    if (this.mode === "up") return elapsed;
    return Math.max(0, this.goal() - elapsed);
  };

  Timer.prototype.render = function () {
    this.display.textContent = clock(this.seconds());
    var running = this.startedAt !== null;
    this.toggleButton.textContent = running ? "Pause" : (this.elapsedMs && !this.finished ? "Resume" : "Start");
    this.toggleButton.setAttribute("aria-pressed", running ? "true" : "false");
    this.root.classList.toggle("is-running", running);
    this.root.classList.toggle("is-finished", this.finished);
    this.root.querySelectorAll("[data-timer-mode]").forEach(function (button) {
      button.setAttribute("aria-pressed", button.dataset.timerMode === this.mode ? "true" : "false");
    }, this);
  };

  Timer.prototype.start = function () {
    if (this.startedAt !== null) return;
    if (this.mode === "down" && !this.goal()) {
      this.say("Type the seconds to count down from, or use the stopwatch.");
      return;
    }
    if (this.finished) this.reset();
    unlockAudio();
    keepAwake(this);
    this.startedAt = Date.now();
    this.say("");
    var self = this;
    this.interval = window.setInterval(function () { self.tick(); }, TICK_MS);
    this.render();
  };

  Timer.prototype.pause = function () {
    if (this.startedAt === null) return;
    this.elapsedMs = this.elapsed();
    this.startedAt = null;
    window.clearInterval(this.interval);
    this.interval = null;
    letSleep(this);
    if (this.mode === "up") {
      var held = Math.floor(this.elapsedMs / 1000);
      setField(this.field, held);
      this.say("Stopped at " + clock(held) + ". Seconds set to " + held + ".");
    }
    this.render();
  };

  Timer.prototype.reset = function () {
    if (this.interval) window.clearInterval(this.interval);
    this.interval = null;
    this.startedAt = null;
    this.elapsedMs = 0;
    this.finished = false;
    letSleep(this);
    this.say("");
    this.render();
  };

  Timer.prototype.tick = function () {
    if (this.mode === "down" && this.seconds() <= 0) {
      this.finish();
      return;
    }
    this.render();
  };

  Timer.prototype.finish = function () {
    var goal = this.goal();
    window.clearInterval(this.interval);
    this.interval = null;
    this.startedAt = null;
    this.elapsedMs = goal * 1000;
    this.finished = true;
    letSleep(this);
    setField(this.field, goal);
    this.say("Time! " + spoken(goal) + " done. Seconds set to " + goal + ": save the set.");
    beep();
    vibrate();
    this.render();
  };

  Timer.prototype.setMode = function (mode) {
    if (mode === this.mode) return;
    this.reset();
    this.mode = mode;
    this.render();
  };

  Timer.prototype.say = function (text) {
    this.message.textContent = text;
  };

  Timer.prototype.destroy = function () {
    if (this.interval) window.clearInterval(this.interval);
    letSleep(this);
  };

  // --- the rep / foot-contact counter ----------------------------------------------------------

  function Counter(root) {
    this.root = root;
    this.field = document.getElementById(root.dataset.field);
    this.value = root.querySelector("[data-counter-value]");
    this.message = root.querySelector("[data-counter-message]");
    this.unit = root.dataset.measurement === "contacts" ? ["foot contact", "foot contacts"] : ["rep", "reps"];
    this.target = parseInt(root.dataset.target, 10) || 0;
    this.count = 0;
    this.render();
  }

  Counter.prototype.add = function (step) {
    var max = this.field && this.field.max !== "" ? parseInt(this.field.max, 10) : Infinity;
    this.count = Math.min(max, Math.max(0, this.count + step));
    setField(this.field, this.count);
    var text = this.count + " " + this.unit[this.count === 1 ? 0 : 1];
    if (this.target && this.count === this.target) text += ": target reached";
    this.message.textContent = text;
    if (this.target && this.count === this.target && step > 0 && navigator.vibrate) {
      try { navigator.vibrate(150); } catch (error) { /* ignored */ }
    }
    this.render();
  };

  Counter.prototype.reset = function () {
    this.count = 0;
    this.message.textContent = "";
    this.render();
  };

  Counter.prototype.render = function () {
    this.value.textContent = String(this.count);
    this.root.classList.toggle("is-at-target", Boolean(this.target) && this.count >= this.target);
  };

  Counter.prototype.destroy = function () {};

  // --- per side --------------------------------------------------------------------------------

  function sideOf(form) {
    var checked = form.querySelector('[data-sides] input[type="radio"]:checked');
    return checked ? checked.value : "";
  }

  function showSide(form) {
    var side = sideOf(form);
    var word = side === "left" ? "Left" : side === "right" ? "Right" : "";
    var save = form.querySelector("button[data-save-label]");
    if (save) save.textContent = save.dataset.saveLabel + (word ? " · " + word : "");
    var label = form.querySelector("[data-side-label]");
    if (label) label.textContent = word ? "· " + word : "";
  }

  // After a save that did not re-render the form: the next set is for the other side.
  function advance(form) {
    var side = sideOf(form);
    if (side) {
      var other = form.querySelector(
        '[data-sides] input[type="radio"][value="' + (side === "left" ? "right" : "left") + '"]'
      );
      if (other) other.checked = true;
    }
    showSide(form);
    form.querySelectorAll("[data-logger]").forEach(function (root) {
      if (root.setLogger) root.setLogger.reset();
    });
  }

  // --- wiring ----------------------------------------------------------------------------------

  function enhance(scope) {
    scope.querySelectorAll("[data-logger]").forEach(function (root) {
      if (root.setLogger) return;
      if (!document.getElementById(root.dataset.field)) return;
      root.setLogger = root.dataset.logger === "timer" ? new Timer(root) : new Counter(root);
      root.hidden = false;
    });
    scope.querySelectorAll("[data-sides]").forEach(function (fieldset) {
      var form = fieldset.closest("form");
      if (form) showSide(form);
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-timer-action], [data-timer-mode], [data-counter-action]");
    if (!button) return;
    var root = button.closest("[data-logger]");
    var logger = root && root.setLogger;
    if (!logger) return;
    var action = button.dataset.timerAction || button.dataset.counterAction;
    if (button.dataset.timerMode) logger.setMode(button.dataset.timerMode);
    else if (action === "toggle") logger.startedAt === null ? logger.start() : logger.pause();
    else if (action === "reset") logger.reset();
    else if (action === "tap") logger.add(1);
    else if (action === "undo") logger.add(-1);
  });

  document.addEventListener("change", function (event) {
    if (!event.target.closest || !event.target.closest("[data-sides]")) return;
    var form = event.target.closest("form");
    if (form) showSide(form);
  });

  document.addEventListener("set-logger:saved", function (event) {
    var form = event.target.closest && event.target.closest("form");
    if (form) advance(form);
  });

  // A block htmx is about to replace: stop its timer first.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.querySelectorAll) return;
    target.querySelectorAll("[data-logger]").forEach(function (root) {
      if (root.setLogger) root.setLogger.destroy();
    });
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible") return;
    document.querySelectorAll('[data-logger="timer"]').forEach(function (root) {
      var timer = root.setLogger;
      if (timer && timer.startedAt !== null) {
        timer.wakeLock = null;
        keepAwake(timer);
        timer.tick();
      }
    });
  });

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (event) { enhance(event.detail.elt); });

  window.BaselineSetLogger = { advance: advance, enhance: enhance, clock: clock };
})();
