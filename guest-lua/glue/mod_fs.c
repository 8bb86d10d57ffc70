/*
 * mod_fs.c — raw part of the `fs` module (wit/fs.wit); lua/fs.lua builds volume and file objects
 * over it, checks their arguments and turns mode strings into the codes below first.
 *   raw.open_volume(id) -> n, full_id | nil, err      raw.release_volume(n)
 *   raw.read_file(n, path) -> data | nil, err         raw.write_file(n, path, data, mode) -> true
 *   raw.exists(n, path) -> bool                       raw.stat(n, path) -> info
 *   raw.mkdir(n, path) -> true                        raw.remove(n, path) -> true
 *   raw.read_dir(n, path) -> {{name=, type=}, ...}    raw.open(n, path, mode) -> file number
 *   raw.read(f, size) -> data ("" at the end)         raw.write(f, data) -> true
 *   raw.seek(f, whence, offset) -> position           raw.file_stat(f) -> info
 *   raw.sync(f) -> true                               raw.close(f)
 * Every failure but a bad argument type is `nil, err`. An info is {name, size, mode, modified,
 * is_dir, type}. Calls are quick local file operations the host does at once: none waits.
 */
#include "luabox.h"

typedef luabox_sandbox_fs_host_error_t host_error_t;

static uint32_t check_number(lua_State *L, int arg, const char *what) {
  lua_Integer n = luaL_checkinteger(L, arg);
  luaL_argcheck(L, n > 0 && n <= UINT32_MAX, arg, what);
  return (uint32_t)n;
}

static uint32_t check_volume(lua_State *L) { return check_number(L, 1, "not a volume number"); }
static uint32_t check_file(lua_State *L) { return check_number(L, 1, "not a file number"); }

/* An enum code at `arg` below `count`. */
static uint8_t check_code(lua_State *L, int arg, int count) {
  lua_Integer code = luaL_checkinteger(L, arg);
  luaL_argcheck(L, code >= 0 && code < count, arg, "not a mode code");
  return (uint8_t)code;
}

/* Data to write at `arg`: 0 after pushing nil and an Invalid error when it is larger than the
 * payload limit (the host copies it). */
static int data_arg(lua_State *L, int arg, entry_list_u8_t *out) {
  size_t len;
  const char *s = luaL_checklstring(L, arg, &len);
  if (len > luabox_max_payload()) {
    lua_pushfstring(L, "fs: the data is %I bytes, more than this sandbox's max_payload (%I)",
                    (lua_Integer)len, (lua_Integer)luabox_max_payload());
    luabox_push_error(L, "Invalid", lua_tostring(L, -1));
    return 0;
  }
  *out = (entry_list_u8_t){(uint8_t *)s, len};
  return 1;
}

static int push_true(lua_State *L) {
  lua_pushboolean(L, 1);
  return 1;
}

/* Push an info as a table, freeing its name (held while the table is built, which may raise). */
static int push_info(lua_State *L, luabox_sandbox_fs_info_t *info) {
  entry_string_t name = info->name;
  info->name = (entry_string_t){0};
  luabox_hold(L, name.ptr, name.len);
  lua_createtable(L, 0, 6);
  lua_pushlstring(L, (const char *)name.ptr, name.len);
  luabox_free_held(name.ptr, name.len);
  lua_setfield(L, -2, "name");
  lua_pushinteger(L, (lua_Integer)info->size);
  lua_setfield(L, -2, "size");
  lua_pushinteger(L, (lua_Integer)info->mode);
  lua_setfield(L, -2, "mode");
  lua_pushinteger(L, (lua_Integer)info->modified);
  lua_setfield(L, -2, "modified");
  lua_pushboolean(L, info->is_dir);
  lua_setfield(L, -2, "is_dir");
  lua_pushstring(L, info->is_dir ? "directory" : "file");
  lua_setfield(L, -2, "type");
  return 1;
}

static int l_open_volume(lua_State *L) {
  entry_string_t id = luabox_check_text(L, 1);
  entry_tuple2_u32_string_t opened;
  host_error_t err;
  if (!luabox_sandbox_fs_open_volume(&id, &opened, &err)) return luabox_push_host_error(L, &err);
  lua_pushinteger(L, (lua_Integer)opened.f0);
  luabox_push_owned_string(L, &opened.f1);
  return 2;
}

static int l_release_volume(lua_State *L) {
  luabox_sandbox_fs_release_volume(check_volume(L));
  return 0;
}

static int l_read_file(lua_State *L) {
  uint32_t n = check_volume(L);
  entry_string_t path = luabox_check_text(L, 2);
  entry_list_u8_t data;
  host_error_t err;
  if (!luabox_sandbox_fs_read_file(n, &path, &data, &err)) return luabox_push_host_error(L, &err);
  luabox_push_owned_bytes(L, &data);
  return 1;
}

static int l_write_file(lua_State *L) {
  uint32_t n = check_volume(L);
  entry_string_t path = luabox_check_text(L, 2);
  entry_list_u8_t data;
  if (!data_arg(L, 3, &data)) return 2;
  uint8_t mode = check_code(L, 4, 5);
  host_error_t err;
  if (!luabox_sandbox_fs_write_file(n, &path, &data, mode, &err))
    return luabox_push_host_error(L, &err);
  return push_true(L);
}

static int l_exists(lua_State *L) {
  uint32_t n = check_volume(L);
  entry_string_t path = luabox_check_text(L, 2);
  bool found;
  host_error_t err;
  if (!luabox_sandbox_fs_exists(n, &path, &found, &err)) return luabox_push_host_error(L, &err);
  lua_pushboolean(L, found);
  return 1;
}

static int l_stat(lua_State *L) {
  uint32_t n = check_volume(L);
  entry_string_t path = luabox_check_text(L, 2);
  luabox_sandbox_fs_info_t info;
  host_error_t err;
  if (!luabox_sandbox_fs_stat(n, &path, &info, &err)) return luabox_push_host_error(L, &err);
  return push_info(L, &info);
}

static int l_mkdir(lua_State *L) {
  uint32_t n = check_volume(L);
  entry_string_t path = luabox_check_text(L, 2);
  host_error_t err;
  if (!luabox_sandbox_fs_mkdir(n, &path, &err)) return luabox_push_host_error(L, &err);
  return push_true(L);
}

static int l_remove(lua_State *L) {
  uint32_t n = check_volume(L);
  entry_string_t path = luabox_check_text(L, 2);
  host_error_t err;
  if (!luabox_sandbox_fs_remove(n, &path, &err)) return luabox_push_host_error(L, &err);
  return push_true(L);
}

/* Build the listing's table from the light userdata at 1 (run protected: an allocation may
 * fail, and the host's list must be freed whatever happens). */
static int build_listing(lua_State *L) {
  luabox_sandbox_fs_list_dir_entry_t *list = lua_touserdata(L, 1);
  luaL_checkstack(L, 4, "fs: readdir");
  lua_createtable(L, list->len > INT32_MAX ? INT32_MAX : (int)list->len, 0);
  for (size_t i = 0; i < list->len; i++) {
    luabox_sandbox_fs_dir_entry_t *e = &list->ptr[i];
    lua_createtable(L, 0, 2);
    lua_pushlstring(L, (const char *)e->name.ptr, e->name.len);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, e->is_dir ? "directory" : "file");
    lua_setfield(L, -2, "type");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

static int l_read_dir(lua_State *L) {
  uint32_t n = check_volume(L);
  entry_string_t path = luabox_check_text(L, 2);
  luabox_sandbox_fs_list_dir_entry_t list;
  host_error_t err;
  if (!luabox_sandbox_fs_read_dir(n, &path, &list, &err)) return luabox_push_host_error(L, &err);
  luaL_checkstack(L, 2, "fs: readdir");
  lua_pushcfunction(L, build_listing);
  lua_pushlightuserdata(L, &list);
  int status = lua_pcall(L, 1, 1, 0);
  luabox_sandbox_fs_list_dir_entry_free(&list);
  if (status != LUA_OK) return lua_error(L);
  return 1;
}

static int l_open(lua_State *L) {
  uint32_t n = check_volume(L);
  entry_string_t path = luabox_check_text(L, 2);
  uint8_t mode = check_code(L, 3, 5);
  uint32_t file;
  host_error_t err;
  if (!luabox_sandbox_fs_open(n, &path, mode, &file, &err)) return luabox_push_host_error(L, &err);
  lua_pushinteger(L, (lua_Integer)file);
  return 1;
}

static int l_read(lua_State *L) {
  uint32_t f = check_file(L);
  lua_Integer size = luaL_checkinteger(L, 2);
  luaL_argcheck(L, size > 0, 2, "the size must be positive");
  if ((uint64_t)size > luabox_max_payload()) size = (lua_Integer)luabox_max_payload();
  entry_list_u8_t data;
  host_error_t err;
  if (!luabox_sandbox_fs_read(f, (uint32_t)size, &data, &err)) return luabox_push_host_error(L, &err);
  luabox_push_owned_bytes(L, &data);
  return 1;
}

static int l_write(lua_State *L) {
  uint32_t f = check_file(L);
  entry_list_u8_t data;
  if (!data_arg(L, 2, &data)) return 2;
  host_error_t err;
  if (!luabox_sandbox_fs_write(f, &data, &err)) return luabox_push_host_error(L, &err);
  return push_true(L);
}

static int l_seek(lua_State *L) {
  uint32_t f = check_file(L);
  uint8_t whence = check_code(L, 2, 3);
  lua_Integer offset = luaL_checkinteger(L, 3);
  uint64_t position;
  host_error_t err;
  if (!luabox_sandbox_fs_seek(f, whence, (int64_t)offset, &position, &err))
    return luabox_push_host_error(L, &err);
  lua_pushinteger(L, (lua_Integer)position);
  return 1;
}

static int l_file_stat(lua_State *L) {
  uint32_t f = check_file(L);
  luabox_sandbox_fs_info_t info;
  host_error_t err;
  if (!luabox_sandbox_fs_file_stat(f, &info, &err)) return luabox_push_host_error(L, &err);
  return push_info(L, &info);
}

static int l_sync(lua_State *L) {
  uint32_t f = check_file(L);
  host_error_t err;
  if (!luabox_sandbox_fs_sync(f, &err)) return luabox_push_host_error(L, &err);
  return push_true(L);
}

static int l_close(lua_State *L) {
  luabox_sandbox_fs_close(check_file(L));
  return 0;
}

int luabox_open_fs(lua_State *L) {
  static const luaL_Reg functions[] = {
      {"open_volume", l_open_volume},
      {"release_volume", l_release_volume},
      {"read_file", l_read_file},
      {"write_file", l_write_file},
      {"exists", l_exists},
      {"stat", l_stat},
      {"mkdir", l_mkdir},
      {"remove", l_remove},
      {"read_dir", l_read_dir},
      {"open", l_open},
      {"read", l_read},
      {"write", l_write},
      {"seek", l_seek},
      {"file_stat", l_file_stat},
      {"sync", l_sync},
      {"close", l_close},
      {NULL, NULL},
  };
  luaL_newlib(L, functions);
  return 1;
}
