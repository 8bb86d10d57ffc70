/*
 * codec.c — Lua values <-> MessagePack, the encoding of every value that crosses the sandbox
 * boundary (docs/architecture.md §4).
 *
 * Integers stay integers and floats floats; strings are byte strings (MessagePack `str` when they
 * are valid UTF-8, `bin` otherwise); a table whose keys are exactly 1..n is an array (the empty
 * table is the empty array), any other table a map. Functions, userdata, threads, cycles, nesting
 * deeper than LUABOX_MAX_DEPTH and output larger than the caller's limit are refused with a
 * message naming the path of the value: "args[2].cb: a function cannot cross the sandbox boundary".
 *
 * Error objects (tables whose metatable is the `errors` module's, registry key LUABOX_ERROR_MT)
 * cross as MessagePack extension LUABOX_EXT_ERROR holding a map `message`, `kind`, `retryable`,
 * `details` (their raw fields `_message`, ... in errors.lua), and come back as error objects, so
 * `nil, err` keeps its kind across `funcs.call`.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "luabox.h"

/* Values are at most LUABOX_MAX_DEPTH tables deep when encoded. The host wraps some in a few
 * levels of its own (a process's batch of deliveries puts each message's values three levels
 * down), so decoding allows LUABOX_ENVELOPE_DEPTH more: whatever a sandbox could send arrives. */
#define LUABOX_MAX_DEPTH 128
#define LUABOX_ENVELOPE_DEPTH 8
#define LUABOX_MAX_DECODE_DEPTH (LUABOX_MAX_DEPTH + LUABOX_ENVELOPE_DEPTH)

typedef struct {
  enum { SEG_INDEX, SEG_FIELD, SEG_KEY } kind;
  lua_Integer index;
  const char *field;
  size_t field_len;
} path_seg;

typedef struct {
  lua_State *L;
  luabox_buf *out;
  const char *root;
  int depth;
  path_seg path[LUABOX_MAX_DEPTH + 1];
  const void *visiting[LUABOX_MAX_DEPTH + 1];
  char error[256];
  int failed;
} encoder;

static int is_identifier(const char *s, size_t len) {
  if (len == 0 || len > 64) return 0;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return 0;
  }
  return 1;
}

/* Record the first failure with the path of the value being encoded. */
static void fail(encoder *e, const char *reason) {
  if (e->failed) return;
  e->failed = 1;
  char path[160];
  int n = snprintf(path, sizeof path, "%s", e->root);
  for (int i = 0; i < e->depth && n < (int)sizeof path - 1; i++) {
    const path_seg *s = &e->path[i];
    size_t room = sizeof path - (size_t)n;
    if (s->kind == SEG_INDEX)
      n += snprintf(path + n, room, "[%lld]", (long long)s->index);
    else if (s->kind == SEG_FIELD && is_identifier(s->field, s->field_len))
      n += snprintf(path + n, room, ".%.*s", (int)s->field_len, s->field);
    else if (s->kind == SEG_FIELD)
      n += snprintf(path + n, room, "[\"%.*s\"]", (int)(s->field_len > 24 ? 24 : s->field_len),
                    s->field);
    else
      n += snprintf(path + n, room, "[?]");
  }
  snprintf(e->error, sizeof e->error, "%s: %s", path, reason);
}

static int reserve(encoder *e, size_t extra) {
  luabox_buf *b = e->out;
  if (extra > b->max || b->len > b->max - extra) {
    char reason[96];
    snprintf(reason, sizeof reason, "value too large (the limit is %zu bytes)", b->max);
    fail(e, reason);
    return 0;
  }
  size_t want = b->len + extra; /* at most b->max: no overflow */
  if (want <= b->cap) return 1;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < want) cap = cap > b->max / 2 ? b->max : cap * 2;
  if (cap > b->max) cap = b->max;
  uint8_t *data = realloc(b->data, cap);
  if (!data) {
    fail(e, "not enough memory to encode the value");
    return 0;
  }
  /* Held from its first byte, so a Lua error raised mid-encoding (a memory error) frees it. */
  if (b->data) luabox_rehold(b->data, data);
  else luabox_hold(e->L, data, cap);
  b->data = data;
  b->cap = cap;
  return 1;
}

void luabox_buf_free(luabox_buf *b) {
  if (b->data) luabox_free_held(b->data, b->cap);
  *b = (luabox_buf){0};
}

luabox_sandbox_types_payload_t luabox_buf_give(luabox_buf *b) {
  luabox_sandbox_types_payload_t payload = {b->data, b->len};
  if (b->data) luabox_unhold(b->data, b->cap);
  *b = (luabox_buf){0};
  return payload;
}

static int put(encoder *e, const void *bytes, size_t n) {
  if (!reserve(e, n)) return 0;
  memcpy(e->out->data + e->out->len, bytes, n);
  e->out->len += n;
  return 1;
}

static int put_tagged(encoder *e, uint8_t tag, uint64_t v, int width) {
  uint8_t b[9];
  b[0] = tag;
  for (int i = 0; i < width; i++) b[1 + i] = (uint8_t)(v >> (8 * (width - 1 - i)));
  return put(e, b, 1 + (size_t)width);
}

static int put_integer(encoder *e, lua_Integer i) {
  if (i >= 0) {
    uint64_t u = (uint64_t)i;
    if (u < 128) return put_tagged(e, (uint8_t)u, 0, 0);
    if (u <= 0xff) return put_tagged(e, 0xcc, u, 1);
    if (u <= 0xffff) return put_tagged(e, 0xcd, u, 2);
    if (u <= 0xffffffffu) return put_tagged(e, 0xce, u, 4);
    return put_tagged(e, 0xcf, u, 8);
  }
  if (i >= -32) return put_tagged(e, (uint8_t)(int8_t)i, 0, 0);
  if (i >= INT8_MIN) return put_tagged(e, 0xd0, (uint8_t)(int8_t)i, 1);
  if (i >= INT16_MIN) return put_tagged(e, 0xd1, (uint16_t)(int16_t)i, 2);
  if (i >= INT32_MIN) return put_tagged(e, 0xd2, (uint32_t)(int32_t)i, 4);
  return put_tagged(e, 0xd3, (uint64_t)i, 8);
}

static int put_float(encoder *e, double d) {
  uint64_t bits;
  memcpy(&bits, &d, sizeof bits);
  return put_tagged(e, 0xcb, bits, 8);
}

size_t luabox_utf8_sequence(const unsigned char *s, size_t len) {
  unsigned char c = s[0];
  size_t n;
  uint32_t cp;
  if (c < 0x80) return 1;
  if ((c & 0xe0) == 0xc0) { n = 1; cp = c & 0x1f; }
  else if ((c & 0xf0) == 0xe0) { n = 2; cp = c & 0x0f; }
  else if ((c & 0xf8) == 0xf0) { n = 3; cp = c & 0x07; }
  else return 0;
  if (n >= len) return 0;
  for (size_t k = 1; k <= n; k++) {
    if ((s[k] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (s[k] & 0x3f);
  }
  if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
      cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n + 1;
}

int luabox_valid_utf8(const unsigned char *s, size_t len) {
  for (size_t i = 0, n; i < len; i += n)
    if (!(n = luabox_utf8_sequence(s + i, len - i))) return 0;
  return 1;
}

size_t luabox_escape_utf8(const unsigned char *s, size_t len, uint8_t *to) {
  static const char hex[] = "0123456789ABCDEF";
  size_t shown = len > LUABOX_MAX_SHOWN ? LUABOX_MAX_SHOWN : len, size = 0;
  for (size_t i = 0, n; i < shown; i += n) {
    n = luabox_utf8_sequence(s + i, shown - i);
    if (n && to) memcpy(to + size, s + i, n);
    if (n) {
      size += n;
      continue;
    }
    if (to) memcpy(to + size, (char[4]){'\\', 'x', hex[s[i] >> 4], hex[s[i] & 15]}, 4);
    size += 4;
    n = 1;
  }
  if (shown < len) {
    char note[64];
    int n = snprintf(note, sizeof note, " [... %zu more bytes cut]", len - shown);
    if (to) memcpy(to + size, note, (size_t)n);
    size += (size_t)n;
  }
  return size;
}

static int put_string(encoder *e, const char *s, size_t len) {
  int text = luabox_valid_utf8((const unsigned char *)s, len);
  int ok;
  if (text && len < 32) ok = put_tagged(e, (uint8_t)(0xa0 | len), 0, 0);
  else if (len <= 0xff) ok = put_tagged(e, text ? 0xd9 : 0xc4, len, 1);
  else if (len <= 0xffff) ok = put_tagged(e, text ? 0xda : 0xc5, len, 2);
  else if (len <= 0xffffffffu) ok = put_tagged(e, text ? 0xdb : 0xc6, len, 4);
  else { fail(e, "string longer than 4 GiB"); return 0; }
  return ok && put(e, s, len);
}

static int put_header(encoder *e, int map, size_t n) {
  if (n < 16) return put_tagged(e, (uint8_t)((map ? 0x80 : 0x90) | n), 0, 0);
  if (n <= 0xffff) return put_tagged(e, map ? 0xde : 0xdc, n, 2);
  return put_tagged(e, map ? 0xdf : 0xdd, n, 4);
}

static int encode_value(encoder *e, int idx);

/* Classify table `idx`: returns its length if its keys are exactly 1..n, else -1 (a map) and
 * stores the number of keys in `*count`. */
static lua_Integer array_length(lua_State *L, int idx, size_t *count) {
  lua_Unsigned n = lua_rawlen(L, idx);
  size_t keys = 0;
  int sequence = 1;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    keys++;
    if (sequence) {
      int isint;
      lua_Integer k = lua_tointegerx(L, -2, &isint);
      if (!isint || lua_type(L, -2) != LUA_TNUMBER || k < 1 || (lua_Unsigned)k > n) sequence = 0;
    }
    lua_pop(L, 1);
  }
  *count = keys;
  return (sequence && keys == n) ? (lua_Integer)n : -1;
}

static int encode_table(encoder *e, int idx);

static int is_error_object(lua_State *L, int idx) {
  if (!lua_getmetatable(L, idx)) return 0;
  luaL_getmetatable(L, LUABOX_ERROR_MT);
  int same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same;
}

/* An error object: ext(LUABOX_EXT_ERROR, map of its data fields), encoded into a scratch buffer
 * first because the extension header carries the inner length. */
static const char *const error_fields[] = {"message", "kind", "retryable", "details", NULL};

static int encode_error(encoder *e, int idx) {
  lua_State *L = e->L;
  luabox_buf *outer = e->out;
  luabox_buf inner = {.max = outer->max};
  e->out = &inner;
  lua_createtable(L, 0, 4);
  int copy = lua_gettop(L);
  for (int i = 0; error_fields[i]; i++) {
    lua_pushfstring(L, "_%s", error_fields[i]);
    lua_rawget(L, idx);
    lua_setfield(L, copy, error_fields[i]);
  }
  int ok = encode_table(e, copy);
  lua_pop(L, 1);
  e->out = outer;
  if (ok) {
    size_t n = inner.len;
    if (n <= 0xff) ok = put_tagged(e, 0xc7, n, 1);
    else if (n <= 0xffff) ok = put_tagged(e, 0xc8, n, 2);
    else ok = put_tagged(e, 0xc9, n, 4);
    uint8_t type = LUABOX_EXT_ERROR;
    ok = ok && put(e, &type, 1) && put(e, inner.data, n);
  }
  luabox_buf_free(&inner);
  return ok;
}

static int encode_table(encoder *e, int idx) {
  lua_State *L = e->L;
  const void *self = lua_topointer(L, idx);
  for (int i = 0; i < e->depth; i++)
    if (e->visiting[i] == self) {
      fail(e, "a table that contains itself (a cycle) cannot cross the sandbox boundary");
      return 0;
    }
  if (e->depth >= LUABOX_MAX_DEPTH) {
    fail(e, "tables nested too deep (the limit is 128 levels)");
    return 0;
  }
  if (!lua_checkstack(L, 4)) {
    fail(e, "out of Lua stack space");
    return 0;
  }
  e->visiting[e->depth] = self;
  size_t count;
  lua_Integer n = array_length(L, idx, &count);
  int ok = 1;
  if (n >= 0) {
    ok = put_header(e, 0, (size_t)n);
    for (lua_Integer i = 1; ok && i <= n; i++) {
      e->path[e->depth] = (path_seg){.kind = SEG_INDEX, .index = i};
      e->depth++;
      lua_rawgeti(L, idx, i);
      ok = encode_value(e, lua_gettop(L));
      lua_pop(L, 1);
      e->depth--;
    }
  } else {
    ok = put_header(e, 1, count);
    lua_pushnil(L);
    while (ok && lua_next(L, idx)) {
      int key = lua_gettop(L) - 1;
      path_seg seg = {.kind = SEG_KEY};
      switch (lua_type(L, key)) {
        case LUA_TSTRING:
          seg.kind = SEG_FIELD;
          seg.field = lua_tolstring(L, key, &seg.field_len);
          break;
        case LUA_TNUMBER:
          if (lua_isinteger(L, key)) seg = (path_seg){.kind = SEG_INDEX, .index = lua_tointeger(L, key)};
          break;
        case LUA_TBOOLEAN:
          break;
        default:
          e->path[e->depth++] = seg;
          fail(e, "only strings, numbers and booleans can be table keys across the boundary");
          e->depth--;
          ok = 0;
      }
      e->path[e->depth++] = seg;
      ok = ok && encode_value(e, key) && encode_value(e, key + 1);
      e->depth--;
      lua_pop(L, ok ? 1 : 2);
    }
  }
  return ok;
}

static int encode_value(encoder *e, int idx) {
  lua_State *L = e->L;
  switch (lua_type(L, idx)) {
    case LUA_TNIL: return put_tagged(e, 0xc0, 0, 0);
    case LUA_TBOOLEAN: return put_tagged(e, lua_toboolean(L, idx) ? 0xc3 : 0xc2, 0, 0);
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) return put_integer(e, lua_tointeger(L, idx));
      return put_float(e, lua_tonumber(L, idx));
    case LUA_TSTRING: {
      size_t len;
      const char *s = lua_tolstring(L, idx, &len);
      return put_string(e, s, len);
    }
    case LUA_TTABLE: return is_error_object(L, idx) ? encode_error(e, idx) : encode_table(e, idx);
    case LUA_TFUNCTION: fail(e, "a function cannot cross the sandbox boundary"); return 0;
    case LUA_TTHREAD: fail(e, "a coroutine cannot cross the sandbox boundary"); return 0;
    default: fail(e, "userdata cannot cross the sandbox boundary"); return 0;
  }
}

int luabox_encode_values(lua_State *L, int first, int count, const char *what, size_t max,
                         luabox_buf *out) {
  *out = (luabox_buf){.max = max};
  /* Room for what a top-level value needs before encode_table checks again: the two metatables
   * is_error_object compares, or the copy encode_error makes. */
  if (!lua_checkstack(L, 4)) luaL_error(L, "%s: out of Lua stack space to encode the value", what);
  encoder *e = calloc(1, sizeof *e);
  if (!e) {
    lua_pushliteral(L, "not enough memory to encode the value");
    return 0;
  }
  luabox_hold(L, e, sizeof *e);
  e->L = L;
  e->out = out;
  e->root = what;
  first = lua_absindex(L, first);
  int ok = put_header(e, 0, (size_t)count);
  for (int i = 0; ok && i < count; i++) {
    if (count > 1) e->path[e->depth++] = (path_seg){.kind = SEG_INDEX, .index = i + 1};
    ok = encode_value(e, first + i);
    if (count > 1) e->depth--;
  }
  if (!ok) {
    luabox_buf_free(out);
    lua_pushstring(L, e->error);
  }
  luabox_free_held(e, sizeof *e);
  return ok;
}

/* ---- decoding ---- */

typedef struct {
  lua_State *L;
  const uint8_t *p, *end;
  const uint8_t *start, *limit; /* the whole buffer: `end` narrows to an extension's bytes */
  const char *error;
} decoder;

/* Every read is checked here first: the checked build also asserts the cursor never left the
 * buffer, so a length that wrapped around cannot read past it unnoticed. */
static int need(decoder *d, size_t n) {
  luabox_assert(d->start <= d->p && d->p <= d->end && d->end <= d->limit);
  if ((size_t)(d->end - d->p) < n) {
    d->error = "truncated MessagePack data";
    return 0;
  }
  return 1;
}

static uint64_t take(decoder *d, int width) {
  uint64_t v = 0;
  for (int i = 0; i < width; i++) v = (v << 8) | d->p[i];
  d->p += width;
  return v;
}

static int decode_value(decoder *d, int depth);

static int decode_items(decoder *d, size_t n, int map, int depth) {
  lua_State *L = d->L;
  if (depth >= LUABOX_MAX_DECODE_DEPTH) {
    d->error = "data nested too deep (the limit is 128 levels, and 8 for the host's envelopes)";
    return 0;
  }
  if (!lua_checkstack(L, 4)) {
    d->error = "out of Lua stack space";
    return 0;
  }
  /* Each element takes at least one byte: refuse impossible counts before allocating. */
  if ((size_t)(d->end - d->p) < n) {
    d->error = "truncated MessagePack data";
    return 0;
  }
  lua_createtable(L, map ? 0 : (int)(n > 1 << 20 ? 1 << 20 : n), map ? (int)(n > 1 << 20 ? 1 << 20 : n) : 0);
  for (size_t i = 0; i < n; i++) {
    if (map) {
      if (!decode_value(d, depth + 1) || !decode_value(d, depth + 1)) return 0;
      if (lua_isnil(L, -2) || (lua_type(L, -2) == LUA_TNUMBER && lua_tonumber(L, -2) != lua_tonumber(L, -2))) {
        d->error = "map key is nil or NaN";
        return 0;
      }
      lua_rawset(L, -3);
    } else {
      if (!decode_value(d, depth + 1)) return 0;
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
  }
  return 1;
}

static int decode_bytes(decoder *d, size_t n) {
  if (!need(d, n)) return 0;
  lua_pushlstring(d->L, (const char *)d->p, n);
  d->p += n;
  return 1;
}

/* ext(LUABOX_EXT_ERROR): a map of an error object's fields; other extensions are refused. */
static int decode_ext(decoder *d, size_t n, int depth) {
  if (depth >= LUABOX_MAX_DECODE_DEPTH) {
    d->error = "data nested too deep (the limit is 128 levels, and 8 for the host's envelopes)";
    return 0;
  }
  /* The type byte, then n bytes (n + 1 could wrap around in a 32-bit size_t). */
  if (!need(d, 1)) return 0;
  uint8_t type = *d->p++;
  if (!need(d, n)) return 0;
  if (type != LUABOX_EXT_ERROR) {
    d->error = "unsupported MessagePack extension type";
    return 0;
  }
  const uint8_t *end = d->end;
  d->end = d->p + n;
  int ok = decode_value(d, depth + 1);
  if (ok && d->p != d->end) {
    d->error = "malformed error object";
    ok = 0;
  }
  d->end = end;
  if (!ok) return 0;
  lua_State *L = d->L;
  if (!lua_istable(L, -1)) {
    d->error = "malformed error object";
    return 0;
  }
  for (int i = 0; error_fields[i]; i++) {
    lua_pushfstring(L, "_%s", error_fields[i]);
    lua_getfield(L, -2, error_fields[i]);
    lua_rawset(L, -3);
    lua_pushnil(L);
    lua_setfield(L, -2, error_fields[i]);
  }
  luaL_setmetatable(L, LUABOX_ERROR_MT);
  return 1;
}

static int decode_value(decoder *d, int depth) {
  lua_State *L = d->L;
  if (!need(d, 1)) return 0;
  uint8_t tag = *d->p++;
  if (tag <= 0x7f) { lua_pushinteger(L, tag); return 1; }
  if (tag >= 0xe0) { lua_pushinteger(L, (int8_t)tag); return 1; }
  if ((tag & 0xe0) == 0xa0) return decode_bytes(d, tag & 0x1f);
  if ((tag & 0xf0) == 0x90) return decode_items(d, tag & 0x0f, 0, depth);
  if ((tag & 0xf0) == 0x80) return decode_items(d, tag & 0x0f, 1, depth);
  static const int widths[] = {[0xcc - 0xc4] = 1, [0xcd - 0xc4] = 2, [0xce - 0xc4] = 4,
                               [0xcf - 0xc4] = 8, [0xd0 - 0xc4] = 1, [0xd1 - 0xc4] = 2,
                               [0xd2 - 0xc4] = 4, [0xd3 - 0xc4] = 8};
  switch (tag) {
    case 0xc0: lua_pushnil(L); return 1;
    case 0xc2: lua_pushboolean(L, 0); return 1;
    case 0xc3: lua_pushboolean(L, 1); return 1;
    case 0xcc: case 0xcd: case 0xce: case 0xcf: {
      int w = widths[tag - 0xc4];
      if (!need(d, (size_t)w)) return 0;
      uint64_t u = take(d, w);
      if (u > (uint64_t)LUA_MAXINTEGER) lua_pushnumber(L, (lua_Number)u);
      else lua_pushinteger(L, (lua_Integer)u);
      return 1;
    }
    case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
      int w = widths[tag - 0xc4];
      if (!need(d, (size_t)w)) return 0;
      uint64_t u = take(d, w);
      int shift = 64 - 8 * w;
      lua_pushinteger(L, (lua_Integer)((int64_t)(u << shift) >> shift));
      return 1;
    }
    case 0xca: {
      if (!need(d, 4)) return 0;
      uint32_t bits = (uint32_t)take(d, 4);
      float f;
      memcpy(&f, &bits, sizeof f);
      lua_pushnumber(L, f);
      return 1;
    }
    case 0xcb: {
      if (!need(d, 8)) return 0;
      uint64_t bits = take(d, 8);
      double f;
      memcpy(&f, &bits, sizeof f);
      lua_pushnumber(L, f);
      return 1;
    }
    case 0xd9: case 0xc4: if (!need(d, 1)) return 0; return decode_bytes(d, take(d, 1));
    case 0xda: case 0xc5: if (!need(d, 2)) return 0; return decode_bytes(d, take(d, 2));
    case 0xdb: case 0xc6: if (!need(d, 4)) return 0; return decode_bytes(d, take(d, 4));
    case 0xdc: if (!need(d, 2)) return 0; return decode_items(d, take(d, 2), 0, depth);
    case 0xdd: if (!need(d, 4)) return 0; return decode_items(d, take(d, 4), 0, depth);
    case 0xde: if (!need(d, 2)) return 0; return decode_items(d, take(d, 2), 1, depth);
    case 0xdf: if (!need(d, 4)) return 0; return decode_items(d, take(d, 4), 1, depth);
    case 0xc7: if (!need(d, 1)) return 0; return decode_ext(d, take(d, 1), depth);
    case 0xc8: if (!need(d, 2)) return 0; return decode_ext(d, take(d, 2), depth);
    case 0xc9: if (!need(d, 4)) return 0; return decode_ext(d, take(d, 4), depth);
    default: d->error = "unsupported MessagePack type (fixed-size extension or reserved)"; return 0;
  }
}

int luabox_decode_values(lua_State *L, const uint8_t *data, size_t len) {
  decoder d = {.L = L, .p = data, .end = data + len, .start = data, .limit = data + len};
  int base = lua_gettop(L);
  size_t n = 0;
  if (!need(&d, 1)) goto failed;
  uint8_t tag = *d.p++;
  if ((tag & 0xf0) == 0x90) n = tag & 0x0f;
  else if (tag == 0xdc && need(&d, 2)) n = take(&d, 2);
  else if (tag == 0xdd && need(&d, 4)) n = take(&d, 4);
  else {
    if (!d.error) d.error = "expected a MessagePack array of values";
    goto failed;
  }
  if (n > 100000 || !lua_checkstack(L, (int)n + 4)) {
    d.error = "too many values";
    goto failed;
  }
  for (size_t i = 0; i < n; i++)
    if (!decode_value(&d, 0)) goto failed;
  if (d.p != d.end) {
    d.error = "trailing bytes after MessagePack data";
    goto failed;
  }
  return (int)n;
failed:
  lua_settop(L, base);
  lua_pushstring(L, d.error);
  return -1;
}
