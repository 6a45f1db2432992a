type Child = Node | string | false | null | undefined;
type Props = Record<string, string | boolean | number | EventListener | undefined>;

/**
 * A tiny element builder. Text always goes in as text nodes, never as HTML, so device names and
 * other user input cannot inject markup.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(key.replace(/^on/, ''), value);
    else if (value === true) element.setAttribute(key, '');
    else element.setAttribute(key, String(value));
  }
  element.append(...children.filter((child): child is Node | string => !!child));
  return element;
}

/** Text for screen readers only (e.g. the device name inside a "Sign out" button). */
export function srOnly(text: string): HTMLSpanElement {
  return h('span', { class: 'visually-hidden' }, text);
}
