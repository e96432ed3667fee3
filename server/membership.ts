/**
 * Who is in which room, as the engine's join, part, nick and topic events say, applied the same way for
 * members of this node and of others: members here are told (joins and parts through presence
 * batching), members elsewhere are kept in each room's replica for `who` and counts.
 */
import type { ServerMessage } from '../shared/protocol.js';
import { caseFold } from '../shared/validate.js';
import type { EngineEvent, MemberRef } from './engine/engine.js';
import type { Hub } from './hub.js';
import { Outgoing } from './outgoing.js';
import { announce } from './presence.js';
import type { User } from './user.js';

export function applyJoin(hub: Hub, event: Extract<EngineEvent, { kind: 'join' }>): void {
  const { member } = event;
  const room = hub.rooms.get(event.roomKey);
  const user = hub.localUser(member);
  if (member.node === hub.engine.node && (!user || !room)) {
    // Its last session closed, or its request gave up (INTERNAL) and the room was let go, while the join was
    // on its way: it must not stay a member in the cluster, where nothing here would ever part it.
    hub.quietly(user ? hub.engine.part(event.roomKey, event.room, member, 'join timed out') : hub.engine.part(event.roomKey, event.room, member, 'connection closed', true), 'part');
    return;
  }
  if (!room) return;
  const joined = room.joinedEvent(member, event.ts);
  // A join already reflected here (read again after a room snapshot, or sent again): the joiner is
  // answered as for a repeated join, and nobody else hears it twice.
  if (user && room.members.has(user)) {
    hub.sendShared(user, new Outgoing(joined));
    hub.welcomeToRoom(user, room);
    return hub.applied(`join:${user.id}:${room.key}`);
  }
  if (!user && room.remote.get(caseFold(member.nick))?.sid === member.sid) return;
  if (user) {
    room.add(user);
    user.enter(room);
  } else {
    room.remote.set(caseFold(member.nick), member);
    room.renamed();
  }
  hub.rooms.changed();
  // In a room too large to announce single joins, only the joiner is told.
  const out = new Outgoing(joined);
  if (room.total <= hub.config.announceLimit) announce(room, out, hub.metrics, user ?? undefined);
  else if (user) hub.sendShared(user, out);
  if (user) {
    hub.welcomeToRoom(user, room);
    hub.applied(`join:${user.id}:${room.key}`);
  }
}

export function applyPart(hub: Hub, event: Extract<EngineEvent, { kind: 'part' }>): void {
  const { member } = event;
  const room = hub.rooms.get(event.roomKey);
  const user = hub.localUser(member);
  if (!room) return;
  if (user && !room.members.has(user)) return hub.applied(`part:${user.id}:${room.key}`);
  if (user) {
    room.remove(user);
    user.exit(room);
  } else if (room.remote.get(caseFold(member.nick))?.sid === member.sid) {
    room.remote.delete(caseFold(member.nick));
    room.renamed();
  } else if (member.node !== hub.engine.node) {
    return; // not a member known here: nothing to announce
  }
  hub.rooms.changed();
  const left: ServerMessage = { type: 'left', room: room.name, nick: member.nick };
  if (event.reason !== undefined) left.reason = event.reason;
  if (event.quit) left.quit = true;
  if (event.by !== undefined) left.by = event.by;
  const out = new Outgoing(left);
  // In a room too large to announce single parts, only the leaver is told.
  if (room.total < hub.config.announceLimit) announce(room, out, hub.metrics);
  else hub.metrics.messagesOut.inc();
  if (user) {
    hub.sendOut(user, out);
    hub.applied(`part:${user.id}:${room.key}`);
  }
  hub.rooms.forgetIfIdle(room);
}

export function applyTopic(hub: Hub, event: Extract<EngineEvent, { kind: 'topic' }>): void {
  const room = hub.rooms.get(event.roomKey);
  if (!room) return;
  room.topic = event.topic;
  hub.rooms.changed();
  hub.metrics.messagesOut.inc();
  hub.metrics.deliveries.inc(room.broadcast(new Outgoing({ type: 'topic', room: room.name, topic: event.topic, by: event.by, ts: event.ts })));
}

export function applyNick(hub: Hub, event: Extract<EngineEvent, { kind: 'nick' }>): void {
  const { member, old } = event;
  const user = hub.localUser(member);
  if (user) hub.holdNick(user, member.nick);
  // Its last session closed while the rename was on its way: the new nick must not stay taken.
  else if (member.node === hub.engine.node) hub.quietly(hub.engine.releaseNick(member.nick, member.sid), 'release nick');
  const out = new Outgoing({ type: 'nick', old, new: member.nick });
  hub.metrics.messagesOut.inc();
  // Every room, not only the renamer's: one it has just left may still hold its `left`, which must go
  // out under the old nick before members rename it.
  for (const room of hub.rooms.values()) hub.metrics.deliveries.inc(room.flushPresence());
  const seen = new Set<User>();
  if (user) seen.add(user);
  const oldKey = caseFold(old);
  for (const key of event.rooms) {
    const room = hub.rooms.get(key);
    if (!room) continue;
    const known = user ? undefined : room.remote.get(oldKey);
    if (known?.sid === member.sid) {
      room.remote.delete(oldKey);
      // The event names the member, not its away text nor its account: those stay as they were.
      const renamed: MemberRef = { node: member.node, sid: member.sid, nick: member.nick };
      if (known.away) renamed.away = known.away;
      if (known.account) renamed.account = known.account;
      room.remote.set(caseFold(member.nick), renamed);
    }
    room.renamed();
    for (const m of room.members) seen.add(m);
  }
  for (const m of seen) m.peer.deliver(out);
  hub.metrics.deliveries.inc(seen.size);
  if (user) hub.applied(`nick:${user.id}`);
}
