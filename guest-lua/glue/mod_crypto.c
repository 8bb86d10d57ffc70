/*
 * mod_crypto.c — the `crypto` module (wit/crypto.wit), Wippy's API
 * (Wippy: wippyai/docs en/lua/security/crypto.md):
 *   crypto.random.bytes(n) / .string(n [, charset]) / .uuid()
 *   crypto.hmac.sha256/sha512(key, data) -> hex
 *   crypto.encrypt.aes/chacha20(data, key [, aad]), crypto.decrypt.aes/chacha20(data, key [, aad])
 *   crypto.jwt.encode(claims, key [, alg]), crypto.jwt.verify(token, key [, alg [, require_exp]])
 *   crypto.pbkdf2(password, salt, iterations, key_length [, hash])
 *   crypto.constant_time_compare(a, b) -> boolean
 * Every function answers `value` or `nil, err`: an argument of the wrong type or larger than the
 * payload limit is an Invalid error here, and the host checks sizes, keys and names. The work is
 * all in the host (host/src/modules/crypto/).
 */
#include "luabox.h"

/* The most stack slots a function here uses: its arguments' copies plus nil, an error object
 * and the message luabox_push_error builds it from. */
#define ROOM 12
/* Each function first sets the stack to exactly its parameters (lua_settop: missing ones are
 * nil, extra ones dropped), since the names it builds for messages are pushed above them. */

/* Push nil and an Invalid error "`what` must be `expected`"; returns 0 for the arg helpers. */
static int refuse(lua_State *L, const char *what, const char *expected) {
  lua_pushfstring(L, "%s must be %s", what, expected);
  luabox_push_error(L, "Invalid", lua_tostring(L, -1));
  return 0;
}

/* Argument `arg` as bytes for the host: 1, or 0 after pushing nil, err when it is not a string
 * or is larger than the payload limit (the host copies every byte it is handed). */
static int bytes_arg(lua_State *L, int arg, const char *what, entry_list_u8_t *out) {
  if (lua_type(L, arg) != LUA_TSTRING) return refuse(L, what, "a string");
  size_t len;
  const char *s = lua_tolstring(L, arg, &len);
  if (len > luabox_max_payload()) {
    lua_pushfstring(L, "%s is %I bytes, more than the sandbox's payload limit of %I bytes "
                    "(limits.max_payload)", what, (lua_Integer)len,
                    (lua_Integer)luabox_max_payload());
    luabox_push_error(L, "Invalid", lua_tostring(L, -1));
    return 0;
  }
  *out = (entry_list_u8_t){(uint8_t *)s, len};
  return 1;
}

/* An optional string argument: `*maybe` is NULL when it is nil or absent, else `out`. */
static int opt_bytes_arg(lua_State *L, int arg, const char *what, entry_list_u8_t *out,
                         entry_list_u8_t **maybe) {
  *maybe = NULL;
  if (lua_isnoneornil(L, arg)) return 1;
  if (!bytes_arg(L, arg, what, out)) return 0;
  *maybe = out;
  return 1;
}

/* An integer argument (an integral float counts; a numeric string does not): the host checks
 * its range. */
static int integer_arg(lua_State *L, int arg, const char *what, int64_t *out) {
  int exact = 0;
  lua_Integer n = lua_type(L, arg) == LUA_TNUMBER ? lua_tointegerx(L, arg, &exact) : 0;
  if (!exact) return refuse(L, what, "an integer");
  *out = (int64_t)n;
  return 1;
}

static int push_bytes_result(lua_State *L, bool ok, entry_list_u8_t *out,
                             luabox_sandbox_crypto_host_error_t *err) {
  if (!ok) return luabox_push_host_error(L, err);
  luabox_push_owned_bytes(L, out);
  return 1;
}

static int push_string_result(lua_State *L, bool ok, entry_string_t *out,
                              luabox_sandbox_crypto_host_error_t *err) {
  if (!ok) return luabox_push_host_error(L, err);
  luabox_push_owned_string(L, out);
  return 1;
}

static int l_random_bytes(lua_State *L) {
  luaL_checkstack(L, ROOM, "crypto.random.bytes");
  lua_settop(L, 1);
  int64_t length;
  if (!integer_arg(L, 1, "crypto.random.bytes: length", &length)) return 2;
  entry_list_u8_t out;
  luabox_sandbox_crypto_host_error_t err;
  return push_bytes_result(L, luabox_sandbox_crypto_random_bytes(length, &out, &err), &out, &err);
}

static int l_random_string(lua_State *L) {
  luaL_checkstack(L, ROOM, "crypto.random.string");
  lua_settop(L, 2);
  int64_t length;
  entry_list_u8_t charset, *maybe_charset;
  if (!integer_arg(L, 1, "crypto.random.string: length", &length)) return 2;
  if (!opt_bytes_arg(L, 2, "crypto.random.string: charset", &charset, &maybe_charset)) return 2;
  entry_string_t out;
  luabox_sandbox_crypto_host_error_t err;
  bool ok = luabox_sandbox_crypto_random_string(length, maybe_charset, &out, &err);
  return push_string_result(L, ok, &out, &err);
}

static int l_random_uuid(lua_State *L) {
  luaL_checkstack(L, ROOM, "crypto.random.uuid");
  lua_settop(L, 0);
  entry_string_t id;
  luabox_sandbox_crypto_random_uuid(&id);
  luabox_push_owned_string(L, &id);
  return 1;
}

/* hmac.sha256/sha512(key, data); upvalue 1: the digest, upvalue 2: the Lua name. */
static int l_hmac(lua_State *L) {
  luaL_checkstack(L, ROOM, "crypto.hmac");
  lua_settop(L, 2);
  luabox_sandbox_crypto_digest_t digest =
      (luabox_sandbox_crypto_digest_t)lua_tointeger(L, lua_upvalueindex(1));
  const char *name = lua_tostring(L, lua_upvalueindex(2));
  entry_list_u8_t key, data;
  lua_pushfstring(L, "%s: key", name);
  if (!bytes_arg(L, 1, lua_tostring(L, -1), &key)) return 2;
  lua_pushfstring(L, "%s: data", name);
  if (!bytes_arg(L, 2, lua_tostring(L, -1), &data)) return 2;
  entry_string_t out;
  luabox_sandbox_crypto_host_error_t err;
  return push_string_result(L, luabox_sandbox_crypto_hmac(digest, &key, &data, &out, &err), &out,
                            &err);
}

/* encrypt/decrypt.aes/chacha20(data, key [, aad]); upvalue 1: the cipher, 2: whether it
 * decrypts, 3: the Lua name. */
static int l_cipher(lua_State *L) {
  luaL_checkstack(L, ROOM, "crypto.encrypt");
  lua_settop(L, 3);
  luabox_sandbox_crypto_cipher_t cipher =
      (luabox_sandbox_crypto_cipher_t)lua_tointeger(L, lua_upvalueindex(1));
  int decrypt = lua_toboolean(L, lua_upvalueindex(2));
  const char *name = lua_tostring(L, lua_upvalueindex(3));
  entry_list_u8_t data, key, aad, *maybe_aad;
  lua_pushfstring(L, "%s: data", name);
  if (!bytes_arg(L, 1, lua_tostring(L, -1), &data)) return 2;
  lua_pushfstring(L, "%s: key", name);
  if (!bytes_arg(L, 2, lua_tostring(L, -1), &key)) return 2;
  lua_pushfstring(L, "%s: aad", name);
  if (!opt_bytes_arg(L, 3, lua_tostring(L, -1), &aad, &maybe_aad)) return 2;
  entry_list_u8_t out;
  luabox_sandbox_crypto_host_error_t err;
  bool ok = decrypt ? luabox_sandbox_crypto_decrypt(cipher, &data, &key, maybe_aad, &out, &err)
                    : luabox_sandbox_crypto_encrypt(cipher, &data, &key, maybe_aad, &out, &err);
  return push_bytes_result(L, ok, &out, &err);
}

static int l_jwt_encode(lua_State *L) {
  luaL_checkstack(L, ROOM, "crypto.jwt.encode");
  lua_settop(L, 3);
  entry_list_u8_t key, alg, *maybe_alg;
  if (!lua_istable(L, 1)) {
    refuse(L, "crypto.jwt.encode: payload", "a table");
    return 2;
  }
  if (!bytes_arg(L, 2, "crypto.jwt.encode: key", &key)) return 2;
  if (!opt_bytes_arg(L, 3, "crypto.jwt.encode: alg", &alg, &maybe_alg)) return 2;
  luabox_buf claims_buf;
  if (!luabox_encode_arg(L, 1, 1, "payload", &claims_buf)) return 2;
  luabox_sandbox_crypto_payload_t claims = {claims_buf.data, claims_buf.len};
  entry_string_t token;
  luabox_sandbox_crypto_host_error_t err;
  bool ok = luabox_sandbox_crypto_jwt_encode(&claims, &key, maybe_alg, &token, &err);
  luabox_buf_free(&claims_buf);
  return push_string_result(L, ok, &token, &err);
}

static int l_jwt_verify(lua_State *L) {
  luaL_checkstack(L, ROOM, "crypto.jwt.verify");
  lua_settop(L, 4);
  entry_list_u8_t token, key, alg, *maybe_alg;
  if (!bytes_arg(L, 1, "crypto.jwt.verify: token", &token)) return 2;
  if (!bytes_arg(L, 2, "crypto.jwt.verify: key", &key)) return 2;
  if (!opt_bytes_arg(L, 3, "crypto.jwt.verify: alg", &alg, &maybe_alg)) return 2;
  bool require_exp = true; /* the doc page's default */
  if (!lua_isnoneornil(L, 4)) {
    if (!lua_isboolean(L, 4)) {
      refuse(L, "crypto.jwt.verify: require_exp", "a boolean");
      return 2;
    }
    require_exp = lua_toboolean(L, 4);
  }
  luabox_sandbox_crypto_payload_t claims;
  luabox_sandbox_crypto_host_error_t err;
  if (!luabox_sandbox_crypto_jwt_verify(&token, &key, maybe_alg, require_exp, &claims, &err))
    return luabox_push_host_error(L, &err);
  return luabox_push_payload(L, &claims);
}

static int l_pbkdf2(lua_State *L) {
  luaL_checkstack(L, ROOM, "crypto.pbkdf2");
  lua_settop(L, 5);
  entry_list_u8_t password, salt, hash, *maybe_hash;
  int64_t iterations, key_length;
  if (!bytes_arg(L, 1, "crypto.pbkdf2: password", &password)) return 2;
  if (!bytes_arg(L, 2, "crypto.pbkdf2: salt", &salt)) return 2;
  if (!integer_arg(L, 3, "crypto.pbkdf2: iterations", &iterations)) return 2;
  if (!integer_arg(L, 4, "crypto.pbkdf2: key_length", &key_length)) return 2;
  if (!opt_bytes_arg(L, 5, "crypto.pbkdf2: hash", &hash, &maybe_hash)) return 2;
  entry_list_u8_t out;
  luabox_sandbox_crypto_host_error_t err;
  bool ok = luabox_sandbox_crypto_pbkdf2(&password, &salt, iterations, key_length, maybe_hash,
                                         &out, &err);
  return push_bytes_result(L, ok, &out, &err);
}

static int l_constant_time_compare(lua_State *L) {
  luaL_checkstack(L, ROOM, "crypto.constant_time_compare");
  lua_settop(L, 2);
  entry_list_u8_t a, b;
  if (!bytes_arg(L, 1, "crypto.constant_time_compare: a", &a)) return 2;
  if (!bytes_arg(L, 2, "crypto.constant_time_compare: b", &b)) return 2;
  lua_pushboolean(L, luabox_sandbox_crypto_constant_time_compare(&a, &b));
  return 1;
}

/* Set field `field` of the table on top to `fn` with the integer `tag` and the Lua name
 * "crypto.GROUP.FIELD" (and `flag`, for the ciphers) as upvalues. */
static void set_tagged(lua_State *L, const char *group, const char *field, lua_CFunction fn,
                       lua_Integer tag, int flag) {
  lua_pushinteger(L, tag);
  int n = 1;
  if (fn == l_cipher) {
    lua_pushboolean(L, flag);
    n++;
  }
  lua_pushfstring(L, "crypto.%s.%s", group, field);
  lua_pushcclosure(L, fn, n + 1);
  lua_setfield(L, -2, field);
}

int luabox_open_crypto(lua_State *L) {
  luaL_checkstack(L, ROOM, "crypto");
  static const luaL_Reg top[] = {{"pbkdf2", l_pbkdf2},
                                 {"constant_time_compare", l_constant_time_compare},
                                 {NULL, NULL}};
  static const luaL_Reg random[] = {{"bytes", l_random_bytes},
                                    {"string", l_random_string},
                                    {"uuid", l_random_uuid},
                                    {NULL, NULL}};
  static const luaL_Reg jwt[] = {{"encode", l_jwt_encode}, {"verify", l_jwt_verify}, {NULL, NULL}};
  luaL_newlib(L, top);
  luaL_newlib(L, random);
  lua_setfield(L, -2, "random");
  luaL_newlib(L, jwt);
  lua_setfield(L, -2, "jwt");

  lua_newtable(L);
  set_tagged(L, "hmac", "sha256", l_hmac, LUABOX_SANDBOX_CRYPTO_DIGEST_SHA256, 0);
  set_tagged(L, "hmac", "sha512", l_hmac, LUABOX_SANDBOX_CRYPTO_DIGEST_SHA512, 0);
  lua_setfield(L, -2, "hmac");
  static const char *const directions[] = {"encrypt", "decrypt"};
  for (int decrypt = 0; decrypt < 2; decrypt++) {
    lua_newtable(L);
    set_tagged(L, directions[decrypt], "aes", l_cipher, LUABOX_SANDBOX_CRYPTO_CIPHER_AES_GCM,
               decrypt);
    set_tagged(L, directions[decrypt], "chacha20", l_cipher,
               LUABOX_SANDBOX_CRYPTO_CIPHER_CHACHA20_POLY1305, decrypt);
    lua_setfield(L, -2, directions[decrypt]);
  }
  return 1;
}
