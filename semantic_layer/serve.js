#!/usr/bin/env node
// Cube's production server (node_modules/@cubejs-backend/server/bin/server, command `server`),
// bound to one interface. Cube 0.33 calls `server.listen(PORT)`, i.e. on every interface, and has no
// setting for the host, so every listen() given only a port gets CUBEJS_BIND_HOST (default
// 127.0.0.1). The SQL API and the web-socket transport stay off unless their variables are set.
// It also puts gate.js in front of every route (see installGate).
'use strict';

const net = require('net');
const path = require('path');

const host = process.env.CUBEJS_BIND_HOST || '127.0.0.1';
const originalListen = net.Server.prototype.listen;

function isPort(value) {
  return typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value));
}

net.Server.prototype.listen = function listenOnHost(...args) {
  if (isPort(args[0]) && typeof args[1] !== 'string') {
    args.splice(1, 0, host);
  } else if (args[0] && typeof args[0] === 'object' && args[0].port !== undefined && !args[0].host
    && !args[0].path) {
    args[0] = { ...args[0], host };
  }
  return originalListen.apply(this, args);
};

// Cube's server adds `bodyParser.json({ limit: '50mb' })` as its first middleware after CORS and offers
// no hook before it, so the gate is installed where that parser is made: every request passes the
// gate (routes, token, size) before a byte of its body is read, and the parser keeps the gate's limit.
function installGate() {
  const cubeServer = require.resolve('@cubejs-backend/server', { paths: [__dirname] });
  const bodyParser = require(require.resolve('body-parser', { paths: [cubeServer] }));
  const { gate, MAX_BODY_BYTES } = require('./gate');
  const { introspector } = require('./auth');
  const authUrl = process.env.OUTCOMELENS_AUTH_URL;
  const admit = gate(process.env.CUBEJS_API_SECRET, authUrl ? introspector(authUrl) : undefined);
  const makeJsonParser = bodyParser.json;
  Object.defineProperty(bodyParser, 'json', {
    configurable: true,
    enumerable: true,
    value: (options) => {
      const parse = makeJsonParser({ ...options, limit: MAX_BODY_BYTES });
      return (req, res, next) => admit(req, res, () => parse(req, res, next));
    },
  });
}

installGate();

// Cube reads cube.js and the model from the working directory.
process.chdir(__dirname);
require(path.join(__dirname, 'node_modules', '@cubejs-backend', 'server', 'bin', 'server'));
