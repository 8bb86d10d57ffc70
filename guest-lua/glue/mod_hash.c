/*
 * mod_hash.c — the `hash` module (wit/hash.wit):
 *   hash.md5/sha1/sha256/sha512(data [, raw]) -> hex text (raw bytes when `raw` is true)
 *   hash.hmac_md5/hmac_sha1/hmac_sha256/hmac_sha512(data, secret [, raw])
 *   hash.fnv32/fnv64(data) -> integer
 */
#include "luabox.h"

static int l_digest(lua_State *L) {
  luabox_sandbox_hash_algorithm_t algorithm = (luabox_sandbox_hash_algorithm_t)lua_tointeger(
      L, lua_upvalueindex(1));
  entry_list_u8_t data = luabox_check_bytes(L, 1), out;
  luabox_sandbox_hash_digest(algorithm, &data, lua_toboolean(L, 2), &out);
  luabox_push_owned_bytes(L, &out);
  return 1;
}

static int l_hmac(lua_State *L) {
  luabox_sandbox_hash_algorithm_t algorithm = (luabox_sandbox_hash_algorithm_t)lua_tointeger(
      L, lua_upvalueindex(1));
  entry_list_u8_t data = luabox_check_bytes(L, 1), key = luabox_check_bytes(L, 2), out;
  luabox_sandbox_hash_hmac(algorithm, &data, &key, lua_toboolean(L, 3), &out);
  luabox_push_owned_bytes(L, &out);
  return 1;
}

static int l_fnv32(lua_State *L) {
  entry_list_u8_t data = luabox_check_bytes(L, 1);
  lua_pushinteger(L, (lua_Integer)luabox_sandbox_hash_fnv32(&data));
  return 1;
}

static int l_fnv64(lua_State *L) {
  entry_list_u8_t data = luabox_check_bytes(L, 1);
  lua_pushinteger(L, (lua_Integer)luabox_sandbox_hash_fnv64(&data));
  return 1;
}

int luabox_open_hash(lua_State *L) {
  static const struct {
    const char *name;
    luabox_sandbox_hash_algorithm_t algorithm;
  } algorithms[] = {
      {"md5", LUABOX_SANDBOX_HASH_ALGORITHM_MD5},
      {"sha1", LUABOX_SANDBOX_HASH_ALGORITHM_SHA1},
      {"sha256", LUABOX_SANDBOX_HASH_ALGORITHM_SHA256},
      {"sha512", LUABOX_SANDBOX_HASH_ALGORITHM_SHA512},
  };
  lua_newtable(L);
  for (size_t i = 0; i < sizeof algorithms / sizeof algorithms[0]; i++) {
    lua_pushinteger(L, algorithms[i].algorithm);
    lua_pushcclosure(L, l_digest, 1);
    lua_setfield(L, -2, algorithms[i].name);
    lua_pushinteger(L, algorithms[i].algorithm);
    lua_pushcclosure(L, l_hmac, 1);
    lua_pushfstring(L, "hmac_%s", algorithms[i].name);
    lua_insert(L, -2);
    lua_settable(L, -3);
  }
  lua_pushcfunction(L, l_fnv32);
  lua_setfield(L, -2, "fnv32");
  lua_pushcfunction(L, l_fnv64);
  lua_setfield(L, -2, "fnv64");
  return 1;
}
