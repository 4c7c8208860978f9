"""Every Redis key and Lua script of the generation engine, in one place.

What is stored (all names start with ``posterbooth:``; ``<id>`` is a participation id, ``<p>`` a provider):

========================  ==========  ================================================  ==========================
key                       type        what it holds                                     lifetime / written by
========================  ==========  ================================================  ==========================
``job:<id>``              string      id of the rq job that may act for the             7 days; :mod:`.queue`
                                      participation now (its *current* job), or         (enqueue), the slot scripts
                                      ``promoted`` while a handed slot's step is        below (``promoted``, and
                                      being enqueued                                    deleted on joining a line)
``seq:<id>``              counter     step numbers, for step job ids                    7 days; :mod:`.queue`
``due``                   zset        delayed step job id -> unix time it is due        until released; :mod:`.queue`
                                                                                        adds, :mod:`.clock` releases
``clock:wake``            list        a token pushed when a step is delayed, so a       one element; :mod:`.queue`
                                      sleeping clock wakes and re-reads ``due``         pushes, :mod:`.clock` pops
``durations``             list        seconds of the last 50 whole generations          :mod:`.progress`
``durations:<p>``         list        seconds of the last 50 remote jobs of ``<p>``     :mod:`.progress`
``leases:<p>``            zset        participation id -> lease expiry (unix time):     expiring members;
                                      the provider account's slots in use               :mod:`.slots`
``line:<p>``              zset        participation id -> itself: the waiting line      until promoted; :mod:`.slots`
``rate:<p>:<call>``       string      GCRA "theoretical arrival time" of one call       ms TTL; :mod:`.rates`
``claim:<id>``            string      random token of the one execution working on      6 s, renewed; :mod:`.claims`
                                      the participation
``circuit:<p>``           hash        state, since, until, code, cooldown, probe        until closed; :mod:`.circuit`
``pending:<id>``          string      job age at the last "still running" poll          1 hour; :mod:`.polling`
``usual:<p>``             hash        time, step: the provider's usual job time,        7 days; :mod:`.polling`
                                      when first polls go out
``clock:sweep``           string      lock: one clock in the cluster enqueues the sweep ~3 s; :mod:`.clock`
``clock:retention``       string      lock: one clock enqueues the hourly purge         1 hour; :mod:`.clock`
========================  ==========  ================================================  ==========================

The caps and budget counters (``posterbooth:caps:*``, ``posterbooth:spend:*``) are documented where they are
owned: :mod:`posterbooth.caps` and :mod:`posterbooth.budget`.

rq's own keys (``rq:*``) hold the jobs; the job function is ``workers.jobs.generate`` and its ids are
``participation-<id>`` (first step) and ``participation-<id>-<n>`` (later steps).
"""

from __future__ import annotations

PREFIX = "posterbooth"
POINTER_PREFIX = f"{PREFIX}:job:"
#: Pointer value of a participation just handed a provider slot, whose step is about to be enqueued; the full
#: mark is ``promoted:<host>:<pid>`` of the process that handed it (see :func:`promotion_mark`).
PROMOTED = "promoted"
POINTER_TTL = 7 * 24 * 3600
DUE_KEY = f"{PREFIX}:due"
WAKE_KEY = f"{PREFIX}:clock:wake"
DURATIONS_KEY = f"{PREFIX}:durations"
SWEEP_LOCK = f"{PREFIX}:clock:sweep"
RETENTION_LOCK = f"{PREFIX}:clock:retention"


def text(value: bytes | str) -> str:
    """Return a value read from Redis as text (connections here return bytes)."""
    return value.decode() if isinstance(value, bytes) else value


def promotion_mark() -> str:
    """Return this process's promotion mark: ``promoted:<host>:<pid>``, so that others can tell it died."""
    import os
    import socket

    return f"{PROMOTED}:{socket.gethostname()}:{os.getpid()}"


def pointer_key(participation_id: int) -> str:
    """Return the key naming the participation's current job."""
    return f"{POINTER_PREFIX}{participation_id}"


def seq_key(participation_id: int) -> str:
    """Return the key counting the participation's steps."""
    return f"{PREFIX}:seq:{participation_id}"


def durations_key(provider: str | None) -> str:
    """Return the key of recent whole-generation durations, or of one provider's remote jobs."""
    return f"{DURATIONS_KEY}:{provider}" if provider else DURATIONS_KEY


def lease_key(provider: str) -> str:
    """Return the key of a provider's leases (member: participation id, score: expiry time)."""
    return f"{PREFIX}:leases:{provider}"


def line_key(provider: str) -> str:
    """Return the key of a provider's waiting line (member and score: participation id)."""
    return f"{PREFIX}:line:{provider}"


def rate_key(name: str) -> str:
    """Return the key of one request-rate limit."""
    return f"{PREFIX}:rate:{name}"


def claim_key(participation_id: int) -> str:
    """Return the key an execution holds while it works on a participation."""
    return f"{PREFIX}:claim:{participation_id}"


def circuit_key(provider: str) -> str:
    """Return the key of a provider's circuit hash."""
    return f"{PREFIX}:circuit:{provider}"


def pending_key(participation_id: int) -> str:
    """Return the key holding the job age seen at the participation's last "still running" poll."""
    return f"{PREFIX}:pending:{participation_id}"


def usual_key(provider: str) -> str:
    """Return the key of a provider's usual job time (hash: ``time``, ``step``), which times first polls."""
    return f"{PREFIX}:usual:{provider}"


# --- slots (:mod:`.slots`) -----------------------------------------------------------------------------
# KEYS: leases, line, pointer of the holder.  ARGV: holder, now, expiry, limit.
# Takes or renews a lease when a slot is free for the holder (no earlier waiter is owed it); else the holder
# joins the line and, having no job while it waits, loses its pointer.  Returns 1 when it holds a lease.
ACQUIRE = """
local holder, now, expiry, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], holder) then
  redis.call('ZADD', KEYS[1], expiry, holder)
  redis.call('ZREM', KEYS[2], holder)
  return 1
end
local free = limit - redis.call('ZCARD', KEYS[1])
if free > 0 and redis.call('ZCOUNT', KEYS[2], '-inf', '(' .. holder) < free then
  redis.call('ZADD', KEYS[1], expiry, holder)
  redis.call('ZREM', KEYS[2], holder)
  return 1
end
redis.call('ZADD', KEYS[2], 'NX', holder, holder)
redis.call('DEL', KEYS[3])
return 0
"""

# KEYS: leases, line.  ARGV: holder ('' for none), now, promotion expiry, limit, most to promote, pointer prefix,
# the PROMOTED mark, its TTL in seconds.  Drops the holder's lease and expired ones, then hands free slots to
# the head of the line, marking each promoted participation's pointer.  Returns the promoted ids.
RELEASE_AND_PROMOTE = """
local holder, now, expiry = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local limit, most = tonumber(ARGV[4]), tonumber(ARGV[5])
if holder ~= '' then redis.call('ZREM', KEYS[1], holder) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local free = limit - redis.call('ZCARD', KEYS[1])
if free > most then free = most end
local promoted = {}
while free > 0 do
  local head = redis.call('ZRANGE', KEYS[2], 0, 0)
  if #head == 0 then break end
  redis.call('ZREM', KEYS[2], head[1])
  redis.call('ZADD', KEYS[1], expiry, head[1])
  redis.call('SET', ARGV[6] .. head[1], ARGV[7], 'EX', ARGV[8])
  promoted[#promoted + 1] = head[1]
  free = free - 1
end
return promoted
"""

# KEYS: leases.  ARGV: holder, new expiry.  Pushes a held lease's expiry; returns 0 when it is not held.
RENEW_LEASE = """
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
  return 1
end
return 0
"""

# --- request rates (:mod:`.rates`) ------------------------------------------------------------------------
# KEYS: the rate key.  ARGV: now, interval, tolerance.  Generic cell rate algorithm: returns '0' and takes a
# turn, or returns the seconds to wait as a string.
GCRA = """
local now, interval, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local allowed_at = tat - tolerance
if now < allowed_at then return tostring(allowed_at - now) end
local new_tat = tat + interval
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil((new_tat - now) * 1000) + 1000)
return '0'
"""

# --- claims (:mod:`.claims`) --------------------------------------------------------------------------------
# KEYS: the claim.  ARGV: token, TTL in ms.  Renews the claim only while it is still this execution's.
RENEW_CLAIM = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
# KEYS: the claim.  ARGV: token.  Deletes the claim only while it is still this execution's.
RELEASE_CLAIM = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# --- the circuit (:mod:`.circuit`) --------------------------------------------------------------------------
# KEYS: circuit.  ARGV: now, code, base cooldown, max cooldown.  Opens the circuit (a failed probe doubles the
# cooldown).  Returns the previous state.
TRIP = """
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
local now, base, most = tonumber(ARGV[1]), tonumber(ARGV[3]), tonumber(ARGV[4])
if state == 'open' then return state end
local cooldown = base
if state == 'half_open' then
  cooldown = math.min(most, (tonumber(redis.call('HGET', KEYS[1], 'cooldown')) or base) * 2)
end
local since = now
if state == 'half_open' then since = tonumber(redis.call('HGET', KEYS[1], 'since')) or now end
redis.call('HSET', KEYS[1], 'state', 'open', 'since', since, 'until', now + cooldown, 'code', ARGV[2],
           'cooldown', cooldown, 'probe', '')
return state
"""

# KEYS: circuit.  ARGV: now.  Goes half-open when the cool-down (or the last probe's time) is over; returns 1
# if it changed.
PROBE_DUE = """
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if state == 'closed' then return 0 end
local now = tonumber(ARGV[1])
if now < (tonumber(redis.call('HGET', KEYS[1], 'until')) or 0) then return 0 end
local cooldown = tonumber(redis.call('HGET', KEYS[1], 'cooldown')) or 60
redis.call('HSET', KEYS[1], 'state', 'half_open', 'until', now + cooldown, 'probe', '')
return 1
"""

# KEYS: circuit.  ARGV: holder.  May the holder submit?  Closed: yes.  Open: no.  Half-open: only the one probe.
ALLOWS = """
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if state == 'closed' then return 1 end
if state == 'open' then return 0 end
local probe = redis.call('HGET', KEYS[1], 'probe') or ''
if probe == '' then redis.call('HSET', KEYS[1], 'probe', ARGV[1]) return 1 end
if probe == ARGV[1] then return 1 end
return 0
"""

# --- the poll clock (:mod:`.polling`) -----------------------------------------------------------------------
# KEYS: the provider's usual-time hash {time, step}.  ARGV: what the first poll saw ('running' or 'done'), a
# time, the least step.  A job still running at its first poll sets the usual time; one already done moves it
# earlier by a step that grows while that keeps happening.
LEARN = """
local seen, value, least = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local usual = tonumber(redis.call('HGET', KEYS[1], 'time'))
if seen == 'running' or not usual then
  redis.call('HSET', KEYS[1], 'time', value, 'step', least)
else
  local step = tonumber(redis.call('HGET', KEYS[1], 'step')) or least
  redis.call('HSET', KEYS[1], 'time', math.max(usual - step, least), 'step', math.min(step * 1.5, 5 * least))
end
redis.call('EXPIRE', KEYS[1], 604800)
return 1
"""
