// Preact, its hooks and htm as one module for the views. The vendored files are the packages' own UMD builds,
// unmodified, loaded by index.html as classic scripts (they set window.preact, window.preactHooks and
// window.htm): a module import map would have to be an inline script, which the Content-Security-Policy forbids.
const { h, render } = window.preact;
export const { useEffect, useLayoutEffect, useMemo, useRef, useState } = window.preactHooks;
export { h, render };
export const html = window.htm.bind(h);
