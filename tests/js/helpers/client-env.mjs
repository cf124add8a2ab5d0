// Node-side set-up shared by the client tests: one local-hub with extra users, and a port with
// nothing listening (for network errors).
import { createServer } from 'node:net';
import { startLocalHub } from './local-hub.mjs';

export const READER_TOKEN = 'hf_reader_client_tests';
export const OTHER_TOKEN = 'hf_eve_client_tests';

/** A loopback URL on which nothing listens (a port just released). */
export async function deadEndpoint() {
  const srv = createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** Starts local-hub for the client tests → `{ local, hubInfo }` (`hubInfo` is passed to scenarios). */
export async function startClientHub() {
  const local = await startLocalHub({ tokens: [`reader:${READER_TOKEN}:read`, `eve:${OTHER_TOKEN}:write`] });
  const hubInfo = {
    hub: local.hub,
    token: local.token,
    user: local.user,
    readerToken: READER_TOKEN,
    otherToken: OTHER_TOKEN,
    deadEndpoint: await deadEndpoint(),
  };
  return { local, hubInfo };
}
