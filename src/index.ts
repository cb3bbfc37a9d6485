/** `require('skill-fleet')`: the typed WebSocket client, usable without the server or Nest. */
export * from './client';
