/**
 * Gestures on one chart: the wheel and a two-finger pinch zoom x around
 * the pointer; shift-drag (or a middle-button drag) pans. A plain drag is
 * uPlot's selection (charts.js).
 *
 * @module
 */

/** @typedef {import("./view.js").Range} Range */

/**
 * Listens for gestures on chart `u`.
 * @param {any} u a uPlot instance
 * @param {{ onRange: (from: number, to: number) => void, onZoom: (factor: number, anchor: number) => void, shown: () => Range | null }} hooks
 */
export function attachGestures(u, hooks) {
  const over = /** @type {HTMLElement} */ (u.over);
  over.addEventListener("wheel", (event) => {
    event.preventDefault();
    const anchor = u.posToVal(event.offsetX, "x");
    hooks.onZoom(Math.exp(Math.max(-1, Math.min(1, event.deltaY * 0.0015))), anchor);
  }, { passive: false });
  /** @type {Map<number, number>} pointer id → clientX */
  const touches = new Map();
  let pinchStart = 0;
  /** @type {Range | null} */
  let pinchView = null;
  let panStart = 0;
  /** @type {Range | null} */
  let panView = null;
  over.addEventListener("pointerdown", (event) => {
    if (event.pointerType === "touch") {
      touches.set(event.pointerId, event.clientX);
      if (touches.size === 2) {
        const [a = 0, b = 0] = touches.values();
        pinchStart = Math.abs(a - b);
        pinchView = hooks.shown();
      }
      return;
    }
    if (event.shiftKey || event.button === 1) {
      event.stopImmediatePropagation();
      event.preventDefault();
      over.dataset.panning = "true";
      panStart = event.clientX;
      panView = hooks.shown();
      over.setPointerCapture(event.pointerId);
    }
  }, { capture: true });
  over.addEventListener("mousedown", (event) => {
    if (event.shiftKey || event.button === 1) event.stopImmediatePropagation();
  }, { capture: true });
  over.addEventListener("pointermove", (event) => {
    if (event.pointerType === "touch" && touches.has(event.pointerId)) {
      touches.set(event.pointerId, event.clientX);
      if (touches.size === 2 && pinchView && pinchStart > 10) {
        const [a = 0, b = 0] = touches.values();
        const rect = over.getBoundingClientRect();
        const anchor = u.posToVal((a + b) / 2 - rect.left, "x");
        const factor = pinchStart / Math.max(10, Math.abs(a - b));
        hooks.onRange(
          anchor - (anchor - pinchView.from) * factor,
          anchor + (pinchView.to - anchor) * factor,
        );
      }
      return;
    }
    if (over.dataset.panning !== "true" || !panView) return;
    const perPixel = (panView.to - panView.from) /
      (u.bbox.width / (globalThis.devicePixelRatio || 1));
    const shift = -(event.clientX - panStart) * perPixel;
    hooks.onRange(panView.from + shift, panView.to + shift);
  });
  const end = (/** @type {PointerEvent} */ event) => {
    touches.delete(event.pointerId);
    if (touches.size < 2) pinchView = null;
    delete over.dataset.panning;
    panView = null;
  };
  over.addEventListener("pointerup", end);
  over.addEventListener("pointercancel", end);
}
