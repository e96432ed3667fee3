import { ErrorCode, ProtocolFault } from '../../shared/errors.js';
import type { BanInfo, BanMsg, BansMsg, KillMsg, OperatorMsg, UnbanMsg } from '../../shared/protocol.js';
import { caseFold } from '../../shared/validate.js';
import type { ModerationEntry } from '../engine/engine.js';
import type { Hub } from '../hub.js';
import { parseBanMask } from '../server-bans.js';
import type { Session } from '../session.js';
import { addMark, answerMarks, operatedRoom, removeMark } from './moderation-commands.js';
import type { CommandSpec } from './types.js';

/** Server operators are the accounts named in --operators, while logged in. */
function operator(hub: Hub, session: Session): string {
  if (!hub.isOperator(session)) throw new ProtocolFault(ErrorCode.NOT_OPERATOR, 'only a server operator may do that');
  return session.account === session.nick ? session.nick! : `${session.nick} (${session.account})`;
}

function logged(hub: Hub, entry: ModerationEntry): Promise<void> {
  return hub.engine.logModeration(entry);
}

function mask(text: string): string {
  const parsed = parseBanMask(text);
  if (parsed === null) throw new ProtocolFault(ErrorCode.BAD_MESSAGE, `'${text}' is not an address or CIDR block (such as 203.0.113.7 or 2001:db8::/48)`);
  return parsed;
}

// operator { account, grant } -> notice to the operator; the account's session is told, wherever it is
export const makeOperator: CommandSpec<OperatorMsg> = {
  handle: async (hub, session, m) => {
    const by = operator(hub, session);
    const fold = caseFold(m.account);
    const account = await hub.engine.accounts.get(fold);
    if (!account) throw new ProtocolFault(ErrorCode.NO_SUCH_USER, `${m.account} is not a registered nick`);
    if (!m.grant && hub.operators.has(fold)) {
      throw new ProtocolFault(ErrorCode.NOT_OPERATOR, `${account.name} is named in --operators: only the host can change that`);
    }
    const { operator: _was, ...rest } = account;
    if (!(await hub.engine.accounts.update(m.grant ? { ...rest, operator: true } : rest))) {
      throw new ProtocolFault(ErrorCode.NO_SUCH_USER, `${m.account} is not a registered nick`);
    }
    await hub.engine.accountChanged(fold);
    await logged(hub, { ts: Date.now(), by, action: m.grant ? 'operator' : 'operator removed', target: account.name });
    const text = `${account.name} is ${m.grant ? 'a server operator now' : 'no longer a server operator'}`;
    hub.send(session, m.ref === undefined ? { type: 'notice', text } : { type: 'notice', text, ref: m.ref });
  },
};

// kill { nick, reason? } -> the holder of nick gets bye "killed by <op>: <reason>"; notice to the operator
export const kill: CommandSpec<KillMsg> = {
  handle: async (hub, session, m) => {
    const by = operator(hub, session);
    const reason = `killed by ${session.nick}${m.reason ? `: ${m.reason}` : ''}`;
    await hub.engine.kill(caseFold(m.nick), reason);
    await logged(hub, { ts: Date.now(), by, action: 'kill', target: m.nick, ...(m.reason ? { reason: m.reason } : {}) });
    hub.send(session, { type: 'notice', text: `${m.nick} is disconnected (if connected)`, ...(m.ref ? { ref: m.ref } : {}) });
  },
};

// ban { room, mask, … } is a room ban (moderation-commands.ts).
// ban { mask, duration?, reason? } -> connections from the mask get bye "banned" (every node); bans{} to the operator
export const ban: CommandSpec<BanMsg> = {
  handle: async (hub, session, m) => {
    if (m.room !== undefined) return addMark(hub, session, 'bans', { ...m, room: m.room });
    const by = operator(hub, session);
    const now = Date.now();
    const entry: BanInfo = { mask: mask(m.mask), by, reason: m.reason ?? '', created: now };
    if (m.duration !== undefined) entry.expires = now + m.duration * 1000;
    await hub.engine.addServerBan(entry);
    await logged(hub, { ts: now, by, action: 'ban', target: entry.mask, reason: entry.reason, ...(entry.expires ? { expires: entry.expires } : {}) });
    await listBans(hub, session, m.ref);
  },
};

// unban { mask } -> bans{} to the operator
export const unban: CommandSpec<UnbanMsg> = {
  handle: async (hub, session, m) => {
    if (m.room !== undefined) return removeMark(hub, session, 'bans', { ...m, room: m.room });
    const by = operator(hub, session);
    const target = mask(m.mask);
    if (!(await hub.engine.removeServerBan(target))) throw new ProtocolFault(ErrorCode.BAD_MESSAGE, `${target} is not banned`);
    await logged(hub, { ts: Date.now(), by, action: 'unban', target });
    await listBans(hub, session, m.ref);
  },
};

// bans {} -> bans{bans: [{mask, by, reason, created, expires?}]}, those in force
export const bans: CommandSpec<BansMsg> = {
  handle: (hub, session, m) => {
    if (m.room !== undefined) {
      const room = operatedRoom(hub, session, m.room);
      return answerMarks(hub, session, room, room.policy, 'bans', m.ref);
    }
    operator(hub, session);
    return listBans(hub, session, m.ref);
  },
};

async function listBans(hub: Hub, session: Session, ref: string | undefined): Promise<void> {
  const now = Date.now();
  const list = (await hub.engine.serverBans()).filter((b) => b.expires === undefined || b.expires > now).sort((a, b) => a.created - b.created);
  hub.send(session, ref === undefined ? { type: 'bans', bans: list } : { type: 'bans', bans: list, ref });
}
