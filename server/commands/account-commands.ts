import { ErrorCode, ProtocolFault } from '../../shared/errors.js';
import { LOBBY } from '../../shared/limits.js';
import type { DropMsg, GhostMsg, IdentifyMsg, PasswordMsg, RegisterMsg, ServerMessage } from '../../shared/protocol.js';
import { caseFold } from '../../shared/validate.js';
import { checkPassword, newPasswordHash } from '../accounts/login.js';
import type { Account } from '../engine/accounts.js';
import type { Hub } from '../hub.js';
import type { Session } from '../session.js';
import { joinRoom } from './room-commands.js';
import { heldElsewhere, renameSession } from './session-commands.js';
import type { CommandSpec } from './types.js';

/** How long ghost waits for the disconnected session's nick to come free, and how often it looks. */
const GHOST_WAIT_MS = 10_000;
const GHOST_RETRY_MS = 100;

function loggedIn(session: Session): string {
  if (session.account === null) throw new ProtocolFault(ErrorCode.ACCOUNT_REQUIRED, 'you are not logged in');
  return session.account;
}

function notLoggedIn(session: Session): void {
  if (session.account !== null) throw new ProtocolFault(ErrorCode.NICK_REGISTERED, `you are already logged in as ${session.account}`);
}

/** Tells every terminal of the session's user what account it is logged in to; the asker gets `ref`. */
function tellAccount(hub: Hub, session: Session, ref: string | undefined): void {
  const out: ServerMessage = { type: 'account' };
  if (session.account !== null) out.account = session.account;
  hub.sendToOtherTerminals(session, { ...out });
  if (ref !== undefined) out.ref = ref;
  hub.send(session, out);
}

/**
 * The session is now logged in to `account` and holds its nick: those sharing a room with it are told
 * (`login`), then it is, then where the account has read up to, and where guests wait for an account,
 * it lands in #lobby. `was`: the account it was logged in to before (null: a guest).
 */
async function loggedInAs(hub: Hub, session: Session, account: Account, ref: string | undefined, was: string | null): Promise<void> {
  hub.logIn(session.user, account);
  await hub.showAccount(session.user, was);
  tellAccount(hub, session, ref);
  const markers = await hub.markersOf(account.name);
  if (session.closed) return;
  hub.tellMarkers(session, markers);
  if (hub.config.requireAccount && session.rooms.length === 0) await joinRoom(hub, session, LOBBY);
}

// register { password, email? } -> account{account} (the sender's nick is now an account, logged in)
export const register: CommandSpec<RegisterMsg> = {
  guest: true,
  handle: async (hub, session, m) => {
    notLoggedIn(session);
    const account: Account = { name: session.nick!, hash: await newPasswordHash(m.password), created: Date.now() };
    if (m.email !== undefined) account.email = m.email;
    if (session.closed) return;
    const outcome = await hub.engine.accounts.create(account);
    if (!outcome.ok) {
      throw new ProtocolFault(ErrorCode.NICK_REGISTERED, caseFold(outcome.taken) === session.nickKey
        ? `${outcome.taken} is registered already`
        : `${session.nick} looks like the registered nick ${outcome.taken}; choose another nick to register`);
    }
    await loggedInAs(hub, session, account, m.ref, null);
  },
};

// identify { password, account? } -> account{account} and a read{room, seq} per read marker; the session
// takes the account's nick, or, when the account is connected here already, becomes one more terminal
// of it (leaving its guest's rooms)
export const identify: CommandSpec<IdentifyMsg> = {
  guest: true,
  handle: async (hub, session, m) => {
    notLoggedIn(session);
    const account = await checkPassword(hub, session, caseFold(m.account ?? session.nick!), m.password);
    if (session.closed) return;
    const terminals = hub.terminalsOf(account.name);
    if (terminals) {
      // Before the rooms, as after hello; known here already.
      hub.tellMarkers(session, hub.markers.list(caseFold(account.name)));
      hub.attach(session, terminals, `logged in as ${account.name}`);
      return tellAccount(hub, session, m.ref);
    }
    if (caseFold(account.name) !== session.nickKey) {
      session.user.account = account.name; // the rename below may take the registered nick
      try {
        await renameSession(hub, session, account.name);
      } catch (err) {
        session.user.account = null;
        if (err instanceof ProtocolFault && err.code === ErrorCode.NICK_TAKEN) {
          throw new ProtocolFault(ErrorCode.NICK_TAKEN, heldElsewhere(account.name));
        }
        throw err;
      }
    }
    await loggedInAs(hub, session, account, m.ref, null);
  },
};

// password { old, new } -> account{account}
export const password: CommandSpec<PasswordMsg> = {
  handle: async (hub, session, m) => {
    const name = loggedIn(session);
    const account = await checkPassword(hub, session, caseFold(name), m.old);
    const updated = { ...account, hash: await newPasswordHash(m.new) };
    if (!(await hub.engine.accounts.update(updated))) throw new ProtocolFault(ErrorCode.LOGIN_FAILED, `the account ${name} no longer exists`);
    tellAccount(hub, session, m.ref);
  },
};

// drop { password } -> account{} (the account is gone; the session stays, as a guest)
export const drop: CommandSpec<DropMsg> = {
  handle: async (hub, session, m) => {
    const name = loggedIn(session);
    await checkPassword(hub, session, caseFold(name), m.password);
    await hub.engine.accounts.drop(name);
    // Its read markers go with it: whoever registers the nick next starts without them.
    hub.quietly(hub.markers.forget(caseFold(name)), 'forget read markers');
    hub.logIn(session.user, null);
    await hub.showAccount(session.user, name);
    tellAccount(hub, session, m.ref);
  },
};

// ghost { nick, password } -> the holder gets bye; then nick{old, new} and account{account} to the sender
export const ghost: CommandSpec<GhostMsg> = {
  guest: true,
  handle: async (hub, session, m) => {
    const fold = caseFold(m.nick);
    if (fold === session.nickKey) throw new ProtocolFault(ErrorCode.NICK_TAKEN, `${m.nick} is you`);
    if (session.account !== null && caseFold(session.account) !== fold) notLoggedIn(session);
    const account = await checkPassword(hub, session, fold, m.password);
    // Logged in to that account already, or a guest: the account before is told with the login.
    const was = session.account;
    await hub.engine.kill(fold, `disconnected by ${session.nick} (ghost)`, session.user.id);
    // The holder's node frees the nick when it closes the connection: take it as soon as it is free.
    session.user.account = account.name;
    const deadline = Date.now() + GHOST_WAIT_MS;
    for (;;) {
      if (session.closed) return;
      try {
        await renameSession(hub, session, account.name);
        break;
      } catch (err) {
        if (!(err instanceof ProtocolFault && err.code === ErrorCode.NICK_TAKEN) || Date.now() >= deadline) {
          session.user.account = null;
          throw err;
        }
        await new Promise((resolve) => setTimeout(resolve, GHOST_RETRY_MS));
      }
    }
    await loggedInAs(hub, session, account, m.ref, was);
  },
};
