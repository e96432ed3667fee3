/** The protocol contract shared by server and client. Knows nothing of sockets, storage or terminals. */
export * from './limits.js';
export * from './errors.js';
export * from './protocol.js';
export * from './validate.js';
export * from './search.js';
export * from './parse.js';
export * from './encode.js';
export * from './lines.js';
export * from './commands.js';
export * from './invisible.js';
