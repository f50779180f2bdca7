// Join tokens: joining needs a JWT naming the room and our identity. The page takes it from
// the `token` URL switch, else asks GET /dev/token, which only a server in dev mode answers.

import { options } from './config.js';

// The payload of a JWT, or null. Not verified (the server does that): it only fills in the
// room and name the token is for.
function decodeTokenClaims(token) {
  const part = (token || '').split('.')[1];
  if (!part) return null;
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === 'object' ? claims : null;
  } catch (e) {
    console.warn('switchyard: the token URL switch is not a JWT:', e);
    return null;
  }
}

// The claims of options.token (unverified: only to prefill the form), or null.
export const tokenClaims = decodeTokenClaims(options.token);

const kNeedsTokenText = 'This server needs a join token: add ?token=… (a token from the ' +
    'application that invited you) to the address.';

// {token, identity} for joining `room` as `name`: the token URL switch, else one from the
// dev-mode endpoint. Throws an Error whose message is fit for the banner (with `needsToken`
// set when the server has no /dev/token).
export async function obtainToken(room, name) {
  if (options.token) {
    return { token: options.token, identity: (tokenClaims && tokenClaims.sub) || '' };
  }
  const query = new URLSearchParams({ room });
  if (name) query.set('name', name);
  if (options.identity) query.set('identity', options.identity);
  let response;
  try {
    response = await fetch(`/dev/token?${query}`, { cache: 'no-store' });
  } catch (e) {
    throw new Error(`Could not reach the server to get a join token (${e.message || e}).`);
  }
  // Only a server in dev mode routes /dev/token; elsewhere it is a missing file.
  if (response.status === 404 || response.status === 405) {
    const error = new Error(kNeedsTokenText);
    error.needsToken = true;
    throw error;
  }
  let body = null;
  try {
    body = await response.json();
  } catch (e) { /* reported below */ }
  if (!response.ok || !body || typeof body.token !== 'string' || !body.token) {
    const detail = body && (body.msg || body.message) ? `: ${body.msg || body.message}` : '';
    throw new Error(`The server refused a join token (HTTP ${response.status}${detail}).`);
  }
  return { token: body.token, identity: body.identity || '' };
}
