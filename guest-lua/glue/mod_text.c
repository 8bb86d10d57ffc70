/*
 * mod_text.c — raw functions of the `text` module (wit/text.wit); lua/text.lua builds the
 * Regexp and Differ objects on them and the splitters in Lua alone:
 *   raw.compile(pattern)                 -> count, names | nil, err
 *   raw.find(pattern, s, limit, groups)  -> {{s0, e0, s1, e1, ...}, ...} | nil, err
 *       byte offsets, 0-based and end-exclusive; -1, -1 for a group that took no part
 *   raw.replace_all(pattern, s, repl)    -> string | nil, err
 *   raw.split(pattern, s, n)             -> {part, ...} | nil, err
 *   raw.compare(o1..o6, a, b)            -> {op, text, op, text, ...} | nil, err   (op: 0 equal,
 *                                           1 delete, 2 insert)
 *   raw.patch_make(o1..o6, a, b)         -> {patch text, ...} | nil, err
 *   raw.patch_apply(o1..o6, patches, s)  -> text, all_applied | nil, err
 * o1..o6 are the differ's options: timeout, edit cost, match threshold, match distance, delete
 * threshold, margin (lua/text.lua checks them).
 */
#include <limits.h>
#include <stdint.h>

#include "luabox.h"

typedef luabox_sandbox_text_host_error_t text_error_t;

/* A table size hint that fits an int. */
static int hint(size_t n) { return n > INT_MAX ? INT_MAX : (int)n; }

static int l_compile(lua_State *L) {
  entry_string_t pattern = luabox_check_text(L, 1);
  luabox_sandbox_text_groups_t groups;
  text_error_t err;
  if (!luabox_sandbox_text_compile(&pattern, &groups, &err)) return luabox_push_host_error(L, &err);
  luaL_checkstack(L, 3, "text.regexp.compile");
  lua_pushinteger(L, (lua_Integer)groups.count);
  lua_createtable(L, hint(groups.names.len), 0);
  for (size_t i = 0; i < groups.names.len; i++) {
    lua_pushlstring(L, (const char *)groups.names.ptr[i].ptr, groups.names.ptr[i].len);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  luabox_sandbox_text_groups_free(&groups);
  return 2;
}

static int l_find(lua_State *L) {
  entry_string_t pattern = luabox_check_text(L, 1);
  entry_list_u8_t s = luabox_check_bytes(L, 2);
  int64_t limit = (int64_t)luaL_checkinteger(L, 3);
  bool groups = lua_toboolean(L, 4);
  luabox_sandbox_text_list_spans_t found;
  text_error_t err;
  if (!luabox_sandbox_text_find(&pattern, &s, limit, groups, &found, &err))
    return luabox_push_host_error(L, &err);
  luaL_checkstack(L, 3, "text.regexp: matches");
  lua_createtable(L, hint(found.len), 0);
  for (size_t i = 0; i < found.len; i++) {
    luabox_sandbox_text_spans_t *spans = &found.ptr[i];
    lua_createtable(L, hint(spans->len * 2), 0);
    for (size_t j = 0; j < spans->len; j++) {
      entry_option_tuple2_u32_u32_t *span = &spans->ptr[j];
      lua_pushinteger(L, span->is_some ? (lua_Integer)span->val.f0 : -1);
      lua_rawseti(L, -2, (lua_Integer)(2 * j + 1));
      lua_pushinteger(L, span->is_some ? (lua_Integer)span->val.f1 : -1);
      lua_rawseti(L, -2, (lua_Integer)(2 * j + 2));
    }
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  luabox_sandbox_text_list_spans_free(&found);
  return 1;
}

static int l_replace_all(lua_State *L) {
  entry_string_t pattern = luabox_check_text(L, 1);
  entry_list_u8_t s = luabox_check_bytes(L, 2), repl = luabox_check_bytes(L, 3), out;
  text_error_t err;
  if (!luabox_sandbox_text_replace_all(&pattern, &s, &repl, &out, &err))
    return luabox_push_host_error(L, &err);
  luabox_push_owned_bytes(L, &out);
  return 1;
}

static int l_split(lua_State *L) {
  entry_string_t pattern = luabox_check_text(L, 1);
  entry_list_u8_t s = luabox_check_bytes(L, 2);
  int64_t n = (int64_t)luaL_checkinteger(L, 3);
  entry_list_list_u8_t parts;
  text_error_t err;
  if (!luabox_sandbox_text_split(&pattern, &s, n, &parts, &err))
    return luabox_push_host_error(L, &err);
  luaL_checkstack(L, 2, "text.regexp: split");
  lua_createtable(L, hint(parts.len), 0);
  for (size_t i = 0; i < parts.len; i++) {
    lua_pushlstring(L, (const char *)parts.ptr[i].ptr, parts.ptr[i].len);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  entry_list_list_u8_free(&parts);
  return 1;
}

/* Arguments 1-6: the differ's options. */
static void check_options(lua_State *L, luabox_sandbox_text_diff_options_t *o) {
  o->timeout = (double)luaL_checknumber(L, 1);
  lua_Integer edit_cost = luaL_checkinteger(L, 2), distance = luaL_checkinteger(L, 4),
              margin = luaL_checkinteger(L, 6);
  luaL_argcheck(L, edit_cost >= 0 && edit_cost <= UINT32_MAX, 2, "out of range");
  luaL_argcheck(L, distance >= 0 && distance <= UINT32_MAX, 4, "out of range");
  luaL_argcheck(L, margin >= 0 && margin <= UINT32_MAX, 6, "out of range");
  o->edit_cost = (uint32_t)edit_cost;
  o->match_threshold = (float)luaL_checknumber(L, 3);
  o->match_distance = (uint32_t)distance;
  o->delete_threshold = (float)luaL_checknumber(L, 5);
  o->margin = (uint32_t)margin;
}

static int l_compare(lua_State *L) {
  luabox_sandbox_text_diff_options_t options;
  check_options(L, &options);
  entry_string_t a = luabox_check_text(L, 7), b = luabox_check_text(L, 8);
  luabox_sandbox_text_list_tuple2_operation_string_t diffs;
  text_error_t err;
  if (!luabox_sandbox_text_compare(&options, &a, &b, &diffs, &err))
    return luabox_push_host_error(L, &err);
  luaL_checkstack(L, 2, "diff:compare");
  lua_createtable(L, hint(diffs.len * 2), 0);
  for (size_t i = 0; i < diffs.len; i++) {
    lua_pushinteger(L, (lua_Integer)diffs.ptr[i].f0);
    lua_rawseti(L, -2, (lua_Integer)(2 * i + 1));
    lua_pushlstring(L, (const char *)diffs.ptr[i].f1.ptr, diffs.ptr[i].f1.len);
    lua_rawseti(L, -2, (lua_Integer)(2 * i + 2));
  }
  luabox_sandbox_text_list_tuple2_operation_string_free(&diffs);
  return 1;
}

static int l_patch_make(lua_State *L) {
  luabox_sandbox_text_diff_options_t options;
  check_options(L, &options);
  entry_string_t a = luabox_check_text(L, 7), b = luabox_check_text(L, 8);
  entry_list_string_t patches;
  text_error_t err;
  if (!luabox_sandbox_text_patch_make(&options, &a, &b, &patches, &err))
    return luabox_push_host_error(L, &err);
  luaL_checkstack(L, 2, "diff:patch_make");
  lua_createtable(L, hint(patches.len), 0);
  for (size_t i = 0; i < patches.len; i++) {
    lua_pushlstring(L, (const char *)patches.ptr[i].ptr, patches.ptr[i].len);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  entry_list_string_free(&patches);
  return 1;
}

static int l_patch_apply(lua_State *L) {
  luabox_sandbox_text_diff_options_t options;
  check_options(L, &options);
  entry_string_t patches = luabox_check_text(L, 7), s = luabox_check_text(L, 8);
  entry_tuple2_string_bool_t out;
  text_error_t err;
  if (!luabox_sandbox_text_patch_apply(&options, &patches, &s, &out, &err))
    return luabox_push_host_error(L, &err);
  luaL_checkstack(L, 2, "diff:patch_apply");
  luabox_push_owned_string(L, &out.f0);
  lua_pushboolean(L, out.f1);
  return 2;
}

int luabox_open_text(lua_State *L) {
  static const luaL_Reg functions[] = {
      {"compile", l_compile},       {"find", l_find},
      {"replace_all", l_replace_all}, {"split", l_split},
      {"compare", l_compare},       {"patch_make", l_patch_make},
      {"patch_apply", l_patch_apply}, {NULL, NULL}};
  luaL_newlib(L, functions);
  return 1;
}
