import type { SignedIn } from './api.js';
import { h } from './dom.js';
import { message, messageOf, type Notice, show } from './notices.js';
import type { Page } from './page.js';

export type AuthMode = 'sign-in' | 'sign-up';

/** The sign-in or sign-up form. Signing in is seen through the client's state, not here. */
export function renderAuthView(
  page: Page,
  view: {
    mode: AuthMode;
    /** Shown above the form, e.g. why this device was signed out. */
    notice?: Notice;
    /** True on page load: focus goes to the first field rather than the heading. */
    firstView: boolean;
    /** The link below the form, to the other mode. */
    switchTo: (mode: AuthMode) => void;
  },
): void {
  const { mode, notice } = view;
  const { client, thisBrowser } = page;
  const alert = message('alert');
  const status = message('status');
  const heading = h('h1', { tabindex: '-1' }, mode === 'sign-in' ? 'Sign in' : 'Create an account');
  const fields =
    mode === 'sign-in'
      ? [
          field('email', 'Email', { type: 'email', autocomplete: 'username', required: true }),
          field('password', 'Password', {
            type: 'password',
            autocomplete: 'current-password',
            required: true,
          }),
        ]
      : [
          field('name', 'Name', { type: 'text', autocomplete: 'name', maxlength: 100 }),
          field('email', 'Email', { type: 'email', autocomplete: 'username', required: true }),
          field('password', 'Password', {
            type: 'password',
            autocomplete: 'new-password',
            required: true,
            minlength: 8,
            hint: 'At least 8 characters.',
          }),
        ];
  // Not called "Device name": on the sign-up form a label containing "Name" twice would be ambiguous.
  const device = field('deviceName', 'Device (optional)', {
    type: 'text',
    maxlength: 100,
    placeholder: thisBrowser,
    hint: `How this device appears in your list. Leave empty for “${thisBrowser}”.`,
  });
  const submit = h(
    'button',
    { type: 'submit', class: 'primary' },
    mode === 'sign-in' ? 'Sign in' : 'Create account',
  );
  const form = h('form', { novalidate: true, class: 'card' }, ...fields, device, submit);
  const other =
    mode === 'sign-in'
      ? h(
          'p',
          {},
          'New here? ',
          h(
            'button',
            { type: 'button', class: 'link', onclick: () => view.switchTo('sign-up') },
            'Create an account',
          ),
        )
      : h(
          'p',
          {},
          h(
            'button',
            { type: 'button', class: 'link', onclick: () => view.switchTo('sign-in') },
            'I already have an account',
          ),
        );

  let busy = false;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    submit.setAttribute('aria-disabled', 'true');
    show(alert, '');
    show(status, mode === 'sign-in' ? 'Signing in…' : 'Creating your account…');
    const data = new FormData(form);
    const text = (key: string) => String(data.get(key) ?? '').trim();
    const body = {
      ...(mode === 'sign-up' && text('name') ? { name: text('name') } : {}),
      email: text('email'),
      // Passwords are sent as typed: spaces are part of them.
      password: String(data.get('password') ?? ''),
      deviceName: text('deviceName') || thisBrowser,
    };
    (mode === 'sign-in' ? client.signIn<SignedIn>(body) : client.signUp<SignedIn>(body))
      .catch((error: unknown) => {
        show(status, '');
        show(alert, messageOf(error));
      })
      .finally(() => {
        busy = false;
        submit.removeAttribute('aria-disabled');
      });
  });

  if (notice) show(notice.kind === 'alert' ? alert : status, notice.text);
  page.root.replaceChildren(
    h(
      'section',
      { class: 'auth', 'aria-labelledby': 'view-title' },
      heading,
      alert,
      status,
      form,
      other,
    ),
  );
  heading.id = 'view-title';
  // On page load straight to the first field; after a change of view to the heading, so screen
  // readers announce where the user now is.
  if (view.firstView && !notice) form.querySelector('input')?.focus();
  else heading.focus();
}

/** A labelled input, with its hint (if any) tied to it by aria-describedby. */
function field(
  name: string,
  label: string,
  options: { type: string; hint?: string; required?: boolean } & Record<
    string,
    string | number | boolean | undefined
  >,
): HTMLElement {
  const { hint, ...attributes } = options;
  const id = `field-${name}`;
  const input = h('input', {
    ...attributes,
    id,
    name,
    'aria-describedby': hint ? `${id}-hint` : undefined,
  });
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    input,
    hint && h('p', { class: 'hint', id: `${id}-hint` }, hint),
  );
}
