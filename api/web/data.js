// Application data messages: what other participants or the room API sent us (`data`), and
// sending our own (`sendData`). Payloads travel as base64, as canonical JSON carries bytes.

import { send } from './signaling.js';

// The latest messages, oldest first, at most kDataMessagesKept; cleared on every join.
const kDataMessagesKept = 20;
let dataMessages = [];

// [{participantId, topic, payload (base64), text, receivedAt}], copies.
export function dataMessagesSnapshot() {
  return dataMessages.map((m) => ({ ...m }));
}

export function clearDataMessages() {
  dataMessages = [];
}

export function onData(current, msg) {
  const entry = {
    participantId: msg.participantId || '',
    topic: msg.topic || '',
    payload: msg.payload || '',  // base64, as canonical JSON carries bytes
    text: decodeBase64Text(msg.payload || ''),
    receivedAt: performance.now(),
  };
  const from = entry.participantId
    ? (current.participants.get(entry.participantId) || {}).name || entry.participantId
    : 'the server';
  console.info(`switchyard: data from ${from}${entry.topic ? ` on "${entry.topic}"` : ''}: ` +
      entry.text.slice(0, 200));
  dataMessages.push(entry);
  if (dataMessages.length > kDataMessagesKept) dataMessages = dataMessages.slice(-kDataMessagesKept);
}

// Payloads are usually text; anything else shows as null.
function decodeBase64Text(base64) {
  try {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    return null;
  }
}

// Sends `text` on `topic` to the given participant ids (or everyone else).
export function sendData(topic, text, destinationParticipantIds = []) {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  send({ sendData: { topic, payload: btoa(binary), destinationParticipantIds } });
}
