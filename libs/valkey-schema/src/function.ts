/**
 * The one Valkey function that writes aggregates. It takes a whole batch, and for each event:
 * SET <seen-key> NX EX <ttl>; only if that succeeded are the event's operations applied. Within a
 * batch the increments are summed per key and field first, so a batch of 500 events costs a few
 * dozen writes instead of thousands. Everything happens inside one atomic call, so a crash or a
 * redelivery can never count an event twice or half-apply it.
 *
 * Call: FCALL oleada_apply <numkeys> key... seenTtl batch
 *   batch = JSON [[seenKeyIndex, code, keyIndex, field, value, code, keyIndex, field, value, …], …]
 * One JSON argument instead of ~30 per event: the server decodes it in C (cjson), and the client
 * writes one string instead of thousands.
 * Returns: { applied, duplicates }
 */
export const FUNCTION_LIBRARY = 'oleada';
export const FUNCTION_NAME = 'oleada_apply';
/** Bumped whenever the code below changes, so a stale library on a server is replaced. */
export const FUNCTION_VERSION = 3;

export const FUNCTION_SOURCE = `#!lua name=${FUNCTION_LIBRARY}
-- version ${FUNCTION_VERSION}
local function int(v)
  return string.format('%.0f', v)
end

local function bump(tbl, k, f, v)
  local fields = tbl[k]
  if not fields then fields = {}; tbl[k] = fields end
  fields[f] = (fields[f] or 0) + v
end

local function extreme(tbl, k, f, v, lower)
  local fields = tbl[k]
  if not fields then fields = {}; tbl[k] = fields end
  local cur = fields[f]
  if cur == nil or (lower and v < cur) or ((not lower) and v > cur) then fields[f] = v end
end

local function apply(keys, args)
  local ttl = args[1]
  local events = cjson.decode(args[2])
  local hsum, zsum, isum, mins, maxs, expires, trims = {}, {}, {}, {}, {}, {}, {}
  local applied, duplicates = 0, 0
  for _, event in ipairs(events) do
    local fresh = redis.call('SET', keys[event[1]], '1', 'NX', 'EX', ttl)
    if fresh then
      applied = applied + 1
      for i = 2, #event, 4 do
        local code, k, f, v = event[i], event[i + 1], event[i + 2], event[i + 3]
        if code == 'H' then bump(hsum, k, f, v)
        elseif code == 'Z' then bump(zsum, k, f, v)
        elseif code == 'I' then isum[k] = (isum[k] or 0) + v
        elseif code == 'm' then extreme(mins, k, f, v, true)
        elseif code == 'M' then extreme(maxs, k, f, v, false)
        elseif code == 'E' then expires[k] = v
        elseif code == 'T' then if trims[k] == nil or trims[k] < v then trims[k] = v end
        else return redis.error_reply('oleada_apply: unknown operation ' .. tostring(code)) end
      end
    else
      duplicates = duplicates + 1
    end
  end
  for k, fields in pairs(hsum) do
    for f, v in pairs(fields) do redis.call('HINCRBY', keys[k], f, int(v)) end
  end
  for k, fields in pairs(zsum) do
    for f, v in pairs(fields) do redis.call('ZINCRBY', keys[k], int(v), f) end
  end
  for k, v in pairs(isum) do redis.call('INCRBY', keys[k], int(v)) end
  for k, fields in pairs(mins) do
    for f, v in pairs(fields) do
      local cur = redis.call('HGET', keys[k], f)
      if (not cur) or tonumber(cur) > v then redis.call('HSET', keys[k], f, int(v)) end
    end
  end
  for k, fields in pairs(maxs) do
    for f, v in pairs(fields) do
      local cur = redis.call('HGET', keys[k], f)
      if (not cur) or tonumber(cur) < v then redis.call('HSET', keys[k], f, int(v)) end
    end
  end
  for k, v in pairs(expires) do redis.call('EXPIRE', keys[k], int(v)) end
  for k, cutoff in pairs(trims) do
    local stale = {}
    for _, name in ipairs(redis.call('HKEYS', keys[k])) do
      local n = tonumber(name)
      if n ~= nil and n < cutoff then stale[#stale + 1] = name end
    end
    if #stale > 0 then redis.call('HDEL', keys[k], unpack(stale)) end
  end
  return { applied, duplicates }
end

redis.register_function('${FUNCTION_NAME}', apply)
`;
