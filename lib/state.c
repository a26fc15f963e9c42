/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The state store: STATE_DIR/state.db in SQLite. It is small and must not
 * lose anything: WAL with synchronous FULL, so that a write we recorded
 * before making it survives a crash at the next instruction. The schema is
 * versioned with PRAGMA user_version and marked with an application_id; a
 * database we do not understand is reported and left exactly as it is,
 * since it may be the only record of which devices are off their drivers.
 *
 * The lock is a flock() on STATE_DIR/lock, not a SQLite lock: it has to
 * cover the sysfs writes of a whole command, not one transaction.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include "state.h"

#define STATE_APP_ID 0x7666696f /* "vfio" */

static const char schema_v1[] =
        "CREATE TABLE guests ("
        "  name TEXT PRIMARY KEY,"
        "  pid INTEGER,"            /* QEMU's pid when known: an owner that died can be released */
        "  definition TEXT,"        /* the hostdev/interface XML the guest was assigned with */
        "  qemu_args TEXT,"         /* JSON array of the arguments handed out */
        "  created_at INTEGER NOT NULL);"
        "CREATE TABLE devices ("
        "  address TEXT PRIMARY KEY,"
        "  iommu_group INTEGER NOT NULL,"
        "  original_driver TEXT,"   /* NULL: it was unbound */
        "  original_override TEXT,"
        "  stub_driver TEXT,"       /* NULL: left unbound (bridges) */
        "  found_detached INTEGER NOT NULL DEFAULT 0,"
        "  detached_by TEXT NOT NULL,"
        "  detached_at INTEGER NOT NULL,"
        "  owner TEXT REFERENCES guests(name),"
        "  role TEXT CHECK (role IN ('held', 'assigned')),"
        "  managed INTEGER NOT NULL DEFAULT 1,"
        "  CHECK ((owner IS NULL) = (role IS NULL)));"
        "CREATE INDEX devices_owner ON devices(owner);"
        "CREATE TABLE operations ("
        "  id INTEGER PRIMARY KEY,"
        "  kind TEXT NOT NULL,"
        "  command TEXT NOT NULL,"
        "  pid INTEGER NOT NULL,"
        "  started_at INTEGER NOT NULL);"
        "CREATE TABLE op_changes ("
        "  op_id INTEGER NOT NULL REFERENCES operations(id) ON DELETE CASCADE,"
        "  seq INTEGER NOT NULL,"
        "  address TEXT NOT NULL,"
        "  iommu_group INTEGER NOT NULL,"
        "  before_driver TEXT, before_override TEXT,"
        "  target_driver TEXT, target_override TEXT,"
        "  PRIMARY KEY (op_id, seq));"
        "CREATE TABLE op_steps ("
        "  op_id INTEGER NOT NULL REFERENCES operations(id) ON DELETE CASCADE,"
        "  seq INTEGER NOT NULL,"
        "  address TEXT NOT NULL,"
        "  path TEXT NOT NULL,"
        "  value TEXT NOT NULL,"
        "  status TEXT NOT NULL CHECK (status IN ('intended', 'done', 'failed', 'undone')),"
        "  helper_pid INTEGER NOT NULL DEFAULT 0,"
        "  PRIMARY KEY (op_id, seq));";

/*
 * Migrations: migrations[v - 1] takes a database of schema version v to
 * v + 1. A new database is made at version 1 and taken through every one,
 * so that a fresh file and an upgraded one are the same schema. Append
 * here and bump VFIOCTL_STATE_SCHEMA; never change a step that shipped.
 */
static const char *const migrations[] = {
        /* 1 -> 2, rule 10: the MAC and VLAN a VF had before a guest's were set through
         * its PF (vfnet.c), put back at release and by recover. */
        "CREATE TABLE vf_net ("
        "  address TEXT PRIMARY KEY,"   /* the VF */
        "  owner TEXT NOT NULL,"        /* the guest they were set for */
        "  pf TEXT NOT NULL,"           /* the PF's network interface */
        "  vf INTEGER NOT NULL,"        /* the VF's index on its PF */
        "  mac TEXT,"                   /* set; NULL: left as it was */
        "  vlan INTEGER,"
        "  orig_mac TEXT,"              /* before; NULL: not known (nothing was set) */
        "  orig_vlan INTEGER,"
        "  status TEXT NOT NULL CHECK (status IN ('intended', 'set', 'not_applied')),"
        "  set_at INTEGER NOT NULL);",
};
_Static_assert(ELEMENTSOF(migrations) == VFIOCTL_STATE_SCHEMA - 1,
               "one migration per schema version after the first");

DEFINE_TRIVIAL_CLEANUP_FUNC(sqlite3_stmt *, sqlite3_finalize);
#define _cleanup_stmt_ _cleanup_(sqlite3_finalizep)

/*
 * Issue 8 #11: SQLite says "disk I/O error" or "unable to open" for a full
 * or read-only file system, which reads as a damaged database, whose
 * advice (move it aside) would throw away the record of every original
 * driver. Ask the file system. Returns -ENOSPC, -EROFS or 0.
 */
#define STATE_FULL_BELOW (256 * 1024) /* less free than this, and SQLite failed: full */
static int state_fs_problem(vfioctl_state *st, int rc, uint64_t *ret_free)
{
        struct statvfs sv;
        uint64_t avail;

        if (statvfs(st->dir, &sv) < 0)
                return rc == SQLITE_FULL ? -ENOSPC : 0;
        avail = (uint64_t) sv.f_bavail * sv.f_frsize;
        if (ret_free)
                *ret_free = avail;
        if (sv.f_flag & ST_RDONLY)
                return -EROFS;
        if (rc == SQLITE_FULL || avail < STATE_FULL_BELOW)
                return -ENOSPC;
        return 0;
}

static int state_fs_error(vfioctl_state *st, int problem, uint64_t avail, const char *what)
{
        if (problem == -EROFS)
                return ctx_error(st->ctx, -EROFS,
                                 "%s/state.db: %s: %s is on a read-only file system, so vfioctl "
                                 "cannot record what it changes; make it writable (the state is "
                                 "not damaged: keep it, it records the original drivers)",
                                 st->dir, what, st->dir);
        return ctx_error(st->ctx, -ENOSPC,
                         "%s/state.db: %s: the file system of %s is full (%" PRIu64 " KiB "
                         "free), so vfioctl cannot record what it changes; free some space "
                         "there (the state is not damaged: keep it, it records the original "
                         "drivers)",
                         st->dir, what, st->dir, avail / 1024);
}

static int db_error(vfioctl_state *st, int rc, const char *what)
{
        int r = rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? -EBUSY
                : rc == SQLITE_NOMEM                     ? -ENOMEM
                : rc == SQLITE_FULL                      ? -ENOSPC
                : rc == SQLITE_READONLY || rc == SQLITE_PERM || rc == SQLITE_CANTOPEN ? -EACCES
                : rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB ? -EBADMSG
                                                              : -EIO;
        uint64_t avail = 0;

        if (rc == SQLITE_FULL || rc == SQLITE_IOERR || rc == SQLITE_READONLY ||
            rc == SQLITE_CANTOPEN) {
                int problem = state_fs_problem(st, rc, &avail);

                if (problem < 0)
                        return state_fs_error(st, problem, avail, what);
        }
        return ctx_error(st->ctx, r, "%s/state.db: %s: %s", st->dir, what,
                         st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
}

static int db_exec(vfioctl_state *st, const char *sql)
{
        int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

        return rc == SQLITE_OK ? 0 : db_error(st, rc, sql);
}

static int db_prepare(vfioctl_state *st, const char *sql, sqlite3_stmt **ret)
{
        int rc = sqlite3_prepare_v2(st->db, sql, -1, ret, NULL);

        return rc == SQLITE_OK ? 0 : db_error(st, rc, "prepare");
}

/* Leaves a kept statement ready for its next use. */
static void stmt_releasep(sqlite3_stmt **s)
{
        if (!*s)
                return;
        sqlite3_reset(*s);
        sqlite3_clear_bindings(*s);
}
#define _cleanup_kept_stmt_ _cleanup_(stmt_releasep)

/*
 * The journal's statements are compiled once a handle: an operation over
 * many groups journals hundreds of steps, one after the other under the
 * executor's lock (rule 15), and compiling each was as dear as running it.
 */
static int db_prepare_kept(vfioctl_state *st, enum state_stmt which, const char *sql,
                           sqlite3_stmt **ret)
{
        int rc;

        if (!st->stmt[which]) {
                rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                        &st->stmt[which], NULL);
                if (rc != SQLITE_OK)
                        return db_error(st, rc, "prepare");
        }
        *ret = st->stmt[which];
        return 0;
}

/* Binds text or NULL. */
static void bind_str(sqlite3_stmt *s, int i, const char *v)
{
        if (v)
                sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
        else
                sqlite3_bind_null(s, i);
}

/* Copies a text column; NULL stays NULL. -ENOMEM only. */
static int col_str(sqlite3_stmt *s, int i, char **ret)
{
        const unsigned char *v = sqlite3_column_text(s, i);

        *ret = NULL;
        if (!v)
                return 0;
        *ret = strdup((const char *) v);
        return *ret ? 0 : -ENOMEM;
}

/*
 * What is read back is checked as strictly as the user's input: the rows
 * name the drivers and devices later written to sysfs, and the file may
 * have been changed by someone other than vfioctl.
 */
static int state_bad_row(vfioctl_state *st, const char *table, const char *column,
                         const char *value)
{
        return ctx_error(st->ctx, -EBADMSG,
                         "%s/state.db: %s.%s '%.80s' is not valid; the state was changed by "
                         "something other than vfioctl and was left as it is: check it "
                         "(sqlite3), then move the file aside",
                         st->dir, table, column, value);
}

/* An address column, refused unless canonical (it names sysfs paths). */
static int col_addr(vfioctl_state *st, sqlite3_stmt *s, int i, const char *table,
                    char buf[VFIOCTL_PCI_ADDR_MAX])
{
        const char *v = (const char *) sqlite3_column_text(s, i);

        buf[0] = '\0';
        if (!pci_addr_is_canonical(v))
                return state_bad_row(st, table, "address", v ? v : "NULL");
        snprintf(buf, VFIOCTL_PCI_ADDR_MAX, "%s", v);
        return 0;
}

static int check_driver(vfioctl_state *st, const char *table, const char *column,
                        const char *value)
{
        return !value || driver_name_is_valid(value) ? 0 : state_bad_row(st, table, column, value);
}

static bool guest_name_is_valid(const char *s)
{
        if (!s || !*s || streq(s, ".") || streq(s, ".."))
                return false;
        for (; *s; s++)
                if (*s == '/' || (unsigned char) *s < 0x20 || *s == 0x7f)
                        return false;
        return true;
}

static int check_device_row(vfioctl_state *st, const struct vfioctl_state_device *d)
{
        int r;

        r = check_driver(st, "devices", "original_driver", d->original_driver);
        if (r >= 0)
                r = check_driver(st, "devices", "original_override", d->original_override);
        if (r >= 0)
                r = check_driver(st, "devices", "stub_driver", d->stub_driver);
        if (r >= 0 && d->owner && !guest_name_is_valid(d->owner))
                r = state_bad_row(st, "devices", "owner", d->owner);
        if (r >= 0 && d->group < -1)
                r = state_bad_row(st, "devices", "iommu_group", "negative");
        return r;
}

static int check_change_row(vfioctl_state *st, const struct vfioctl_state_change *c)
{
        int r;

        r = check_driver(st, "op_changes", "before_driver", c->before_driver);
        if (r >= 0)
                r = check_driver(st, "op_changes", "before_override", c->before_override);
        if (r >= 0)
                r = check_driver(st, "op_changes", "target_driver", c->target_driver);
        if (r >= 0)
                r = check_driver(st, "op_changes", "target_override", c->target_override);
        return r;
}

static int step_done(vfioctl_state *st, sqlite3_stmt *s)
{
        int rc = sqlite3_step(s);

        return rc == SQLITE_DONE ? 0 : db_error(st, rc, "write");
}

/* ------------------------------------------------------------------ */
/* Opening                                                            */

static int mkdir_p(const char *dir, mode_t mode)
{
        _cleanup_free_ char *p = strdup(dir);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return negative_errno();
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}

static int pragma_int(vfioctl_state *st, const char *sql, int64_t *ret)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int rc, r;

        r = db_prepare(st, sql, &s);
        if (r < 0)
                return r;
        rc = sqlite3_step(s);
        if (rc != SQLITE_ROW)
                return db_error(st, rc, sql);
        *ret = sqlite3_column_int64(s, 0);
        return 0;
}

/*
 * Checks what the file is before anything writes to it: even switching
 * the journal mode writes the header, and a newer vfioctl's database must
 * come out of this untouched.
 */
static int state_check_schema_reads(vfioctl_state *st, int64_t *ret_version)
{
        int64_t app_id = 0, version = 0, n_tables = 0;
        int r;

        r = pragma_int(st, "PRAGMA application_id", &app_id);
        if (r == -ENOSPC || r == -EROFS)
                return r; /* said by db_error(): not damaged */
        if (r == -EBADMSG || r == -EIO)
                return ctx_error_reason(st->ctx, VFIOCTL_REASON_STATE_DAMAGED, -EBADMSG,
                                 "%s/state.db is damaged or not a database (%s); it was left "
                                 "as it is. Devices it lists may still be detached",
                                 st->dir, sqlite3_errmsg(st->db));
        if (r < 0)
                return r;
        r = pragma_int(st, "PRAGMA user_version", &version);
        if (r < 0)
                return r;
        r = pragma_int(st, "SELECT count(*) FROM sqlite_master", &n_tables);
        if (r < 0)
                return r;
        if (n_tables > 0 && app_id != STATE_APP_ID)
                return ctx_error_reason(st->ctx, VFIOCTL_REASON_STATE_FOREIGN, -EBADMSG,
                                 "%s/state.db is not a vfioctl state database; it was left as "
                                 "it is",
                                 st->dir);
        if (version > VFIOCTL_STATE_SCHEMA)
                return ctx_error(st->ctx, -EPROTONOSUPPORT,
                                 "%s/state.db has schema version %" PRId64
                                 ", newer than this vfioctl understands (%d); it was left as it "
                                 "is: use the vfioctl that wrote it",
                                 st->dir, version, VFIOCTL_STATE_SCHEMA);
        *ret_version = n_tables > 0 ? version : 0;
        return 0;
}

/* The three reads in one read transaction: a schema being created elsewhere is seen whole or not at all. */
static int state_check_schema(vfioctl_state *st, int64_t *ret_version)
{
        bool own = sqlite3_get_autocommit(st->db);
        int r;

        if (own && sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
                own = false;
        r = state_check_schema_reads(st, ret_version);
        if (own)
                sqlite3_exec(st->db, r < 0 ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
        return r;
}

/*
 * Creates the schema of an empty database, under the database's write
 * lock (BEGIN IMMEDIATE), and only if nobody created it meanwhile: at
 * boot /run is empty and guests autostart in parallel, so several
 * processes find the same empty file at once (issue 8 #7). Not under the
 * flock: the process that created it may hold that for a whole command.
 */
static int state_create_schema(vfioctl_state *st)
{
        int64_t n_tables = 0;
        char sql[128];
        int rc, r;

        r = state_begin(st);
        if (r < 0)
                return r;
        r = pragma_int(st, "SELECT count(*) FROM sqlite_master", &n_tables);
        if (r < 0 || n_tables > 0) {
                state_rollback(st);
                /* Another process made it first: check what it made. */
                return r < 0 ? r : state_check_schema(st, &n_tables);
        }
        snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; PRAGMA user_version = %d;",
                 STATE_APP_ID, VFIOCTL_STATE_SCHEMA);
        rc = sqlite3_exec(st->db, schema_v1, NULL, NULL, NULL);
        r = rc == SQLITE_OK ? 0 : db_error(st, rc, "creating the schema");
        for (size_t i = 0; i < ELEMENTSOF(migrations) && r >= 0; i++) {
                rc = sqlite3_exec(st->db, migrations[i], NULL, NULL, NULL);
                r = rc == SQLITE_OK ? 0 : db_error(st, rc, "creating the schema");
        }
        if (r >= 0)
                r = db_exec(st, sql);
        if (r < 0) {
                state_rollback(st);
                return r;
        }
        return state_commit(st);
}

/*
 * An older vfioctl's database, taken to this schema in one write
 * transaction (a crash leaves it as it was), and only the steps still
 * missing once the write lock is held: two commands may open it at once.
 * Nothing it records changes meaning; only tables and columns are added.
 */
static int state_migrate(vfioctl_state *st)
{
        int64_t version = 0;
        char sql[64];
        int rc, r;

        r = state_begin(st);
        if (r < 0)
                return r;
        r = pragma_int(st, "PRAGMA user_version", &version);
        for (int64_t v = version; r >= 0 && v >= 1 && v < VFIOCTL_STATE_SCHEMA; v++) {
                char what[96];

                snprintf(what, sizeof(what), "upgrading the schema from version %" PRId64
                         " (left as it was)", v);
                rc = sqlite3_exec(st->db, migrations[v - 1], NULL, NULL, NULL);
                if (rc != SQLITE_OK)
                        r = db_error(st, rc, what);
        }
        if (r >= 0 && version < VFIOCTL_STATE_SCHEMA) {
                snprintf(sql, sizeof(sql), "PRAGMA user_version = %d;", VFIOCTL_STATE_SCHEMA);
                r = db_exec(st, sql);
        }
        if (r < 0) {
                state_rollback(st);
                return r;
        }
        return state_commit(st);
}

/*
 * Switching to WAL takes an exclusive lock that SQLite's busy handler
 * does not wait for: retry a while (only the first use switches).
 */
static int state_set_pragmas(vfioctl_state *st)
{
        static const char sql[] = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                                  "PRAGMA foreign_keys = ON;";
        int rc = SQLITE_OK;

        for (unsigned waited = 0; waited < 10000; waited += 5) {
                rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
                if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
                        break;
                usleep(5000);
        }
        return rc == SQLITE_OK ? 0 : db_error(st, rc, "setting WAL mode");
}

static int lock_open_error(vfioctl_state *st, const char *path, int error);

/*
 * The first use of an empty state folder (DESIGN §5: at boot /run is
 * empty and guests autostart in parallel): WAL mode and the schema are
 * made under STATE_DIR/lock, by whichever process comes first. A waiter
 * looks again while it waits: the holder may have made the schema and be
 * running a whole command under the lock by now.
 */
static int state_first_use(vfioctl_state *st)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        int64_t version = 0;
        int r;

        if (asprintf(&path, "%s/lock", st->dir) < 0)
                return -ENOMEM;
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0)
                return lock_open_error(st, path, negative_errno());
        for (unsigned waited = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; waited += 5) {
                if (errno != EWOULDBLOCK)
                        return ctx_error(st->ctx, negative_errno(), "cannot lock %s: %m", path);
                r = state_check_schema(st, &version);
                if (r < 0)
                        return r;
                if (version > 0)
                        return state_set_pragmas(st);
                if (waited >= 30000)
                        return ctx_error(st->ctx, -EBUSY,
                                         "%s/state.db is still empty after 30 s, and %s is held; "
                                         "gave up", st->dir, path);
                usleep(5000);
        }
        r = state_set_pragmas(st);
        if (r >= 0)
                r = state_check_schema(st, &version);
        if (r >= 0 && version == 0)
                r = state_create_schema(st);
        return r; /* closing fd drops the lock */
}

/* No -wal, or an empty one: the main file alone is the whole state. */
static bool wal_is_empty(const char *path)
{
        _cleanup_free_ char *wal = NULL;
        struct stat sb;

        if (asprintf(&wal, "%s-wal", path) < 0)
                return false;
        if (lstat(wal, &sb) < 0)
                return errno == ENOENT;
        return S_ISREG(sb.st_mode) && sb.st_size == 0;
}

/*
 * Reading a WAL database needs its -shm, which a full or read-only file
 * system cannot give; when the main file holds everything, read it as
 * immutable instead, so that status, list and show still work there.
 */
static int state_open_immutable(vfioctl_state *st, const char *path)
{
        _cleanup_free_ char *uri = malloc(strlen(path) * 3 + 32);
        char *u = uri;
        int rc;

        if (!uri)
                return -ENOMEM;
        u += sprintf(u, "file:");
        for (const unsigned char *c = (const unsigned char *) path; *c; c++)
                if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                    (*c >= '0' && *c <= '9') || strchr("/-._~", *c))
                        *u++ = (char) *c;
                else
                        u += sprintf(u, "%%%02X", *c);
        strcpy(u, "?immutable=1");
        sqlite3_close_v2(st->db);
        st->db = NULL;
        rc = sqlite3_open_v2(uri, &st->db,
                             SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX |
                                     SQLITE_OPEN_NOFOLLOW,
                             NULL);
        if (rc != SQLITE_OK)
                return db_error(st, rc, "open");
        sqlite3_extended_result_codes(st->db, 0);
        return 0;
}

static int state_open_db(vfioctl_state *st, const char *path)
{
        struct stat sb;
        int64_t version = 0;
        int flags = st->readonly ? SQLITE_OPEN_READONLY
                                 : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
        int rc, r;

        /* The file itself, never where a link points (SQLite says only
         * "unable to open", so say why first). */
        if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode))
                return ctx_error(st->ctx, -ELOOP,
                                 "%s is a symbolic link; vfioctl keeps its state in the file "
                                 "itself and does not follow it: check where it points, then "
                                 "remove the link",
                                 path);
        rc = sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
                             NULL);
        if (rc != SQLITE_OK)
                return db_error(st, rc, "open");
        sqlite3_extended_result_codes(st->db, 0);
        sqlite3_busy_timeout(st->db, 5000);

        r = state_check_schema(st, &version);
        if (r < 0 && st->readonly && (r == -ENOSPC || r == -EROFS) && wal_is_empty(path)) {
                r = state_open_immutable(st, path);
                if (r >= 0)
                        r = state_check_schema(st, &version);
        }
        if (r < 0)
                return r;
        st->version = version;
        if (st->readonly)
                return 0;
        if (version == 0)
                r = state_first_use(st);
        else
                r = state_set_pragmas(st);
        if (r >= 0 && version > 0 && version < VFIOCTL_STATE_SCHEMA)
                r = state_migrate(st);
        if (r >= 0)
                st->version = VFIOCTL_STATE_SCHEMA;
        return r;
}

VFIOCTL_EXPORT int vfioctl_state_open(vfioctl_ctx *ctx, const char *dir, unsigned flags,
                                      vfioctl_state **ret)
{
        _cleanup_free_ char *path = NULL;
        vfioctl_state *st;
        int r;

        assert_return(ctx && dir && *dir && ret, -EINVAL);
        st = calloc(1, sizeof(*st));
        if (!st)
                return -ENOMEM;
        st->n_ref = 1;
        st->lock_fd = -EBADF;
        st->ctx = vfioctl_ctx_ref(ctx);
        st->readonly = flags & VFIOCTL_STATE_READONLY;
        st->dir = strdup(dir);
        if (!st->dir || asprintf(&path, "%s/state.db", dir) < 0) {
                vfioctl_state_unref(st);
                return -ENOMEM;
        }

        if (st->readonly && faccessat(AT_FDCWD, path, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
            errno == ENOENT) {
                *ret = st; /* no state yet: reads as empty */
                return 0;
        }
        if (!st->readonly) {
                r = mkdir_p(dir, 0700);
                if (r < 0) {
                        ctx_error(ctx, r, "cannot create state folder %s: %s", dir, strerror(-r));
                        vfioctl_state_unref(st);
                        return r;
                }
        }
        r = trusted_dir_check(ctx, dir, "state folder");
        if (r >= 0)
                r = state_open_db(st, path);
        if (r < 0) {
                vfioctl_state_unref(st);
                return r;
        }
        *ret = st;
        return 0;
}

static void state_free(vfioctl_state *st)
{
        vfioctl_state_unlock(st);
        for (size_t i = 0; i < ELEMENTSOF(st->stmt); i++)
                sqlite3_finalize(st->stmt[i]);
        sqlite3_close_v2(st->db);
        vfioctl_ctx_unref(st->ctx);
        free(st->dir);
        free(st);
}

DEFINE_PUBLIC_REF_UNREF(vfioctl_state, vfioctl_state, state_free)

VFIOCTL_EXPORT const char *vfioctl_state_get_dir(vfioctl_state *st)
{
        assert_return(st, NULL);
        return st->dir;
}

/* ------------------------------------------------------------------ */
/* The lock                                                           */

static void lock_describe_holder(int fd, char *buf, size_t size)
{
        char text[512];
        ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
        char *nl;

        if (n <= 0) {
                snprintf(buf, size, "another process (it has not said who)");
                return;
        }
        text[n] = '\0';
        /* "PID\nCOMMAND\n" */
        nl = strchr(text, '\n');
        if (!nl) {
                snprintf(buf, size, "pid %s", text);
                return;
        }
        *nl++ = '\0';
        nl[strcspn(nl, "\n")] = '\0';
        snprintf(buf, size, "pid %s (%s)", text, nl);
}

static int lock_write_holder(int fd, const char *command)
{
        char text[512];
        int len = snprintf(text, sizeof(text), "%d\n%s\n", (int) getpid(), command);

        if (len >= (int) sizeof(text))
                len = sizeof(text) - 1;
        if (ftruncate(fd, 0) < 0 || pwrite(fd, text, len, 0) != len)
                return negative_errno();
        return 0;
}

static int lock_open_error(vfioctl_state *st, const char *path, int error)
{
        uint64_t avail = 0;
        int problem = 0;

        if (error == -EROFS || error == -ENOSPC)
                problem = state_fs_problem(st, SQLITE_IOERR, &avail);
        if (problem < 0)
                return state_fs_error(st, problem, avail, "taking the lock");
        return ctx_error(st->ctx, error, "cannot open %s: %s", path, strerror(-error));
}

VFIOCTL_EXPORT int vfioctl_state_lock(vfioctl_state *st, const char *command,
                                      unsigned timeout_ms)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *path = NULL;
        struct timespec start, now;
        char holder[600];
        int r;

        assert_return(st, -EINVAL);
        if (st->readonly)
                return ctx_error(st->ctx, -EROFS, "state opened read-only cannot be locked");
        if (st->lock_fd >= 0)
                return 0;
        if (asprintf(&path, "%s/lock", st->dir) < 0)
                return -ENOMEM;
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0)
                return lock_open_error(st, path, negative_errno());

        clock_gettime(CLOCK_MONOTONIC, &start);
        for (unsigned wait_ms = 5;; wait_ms = wait_ms < 100 ? wait_ms * 2 : 100) {
                int64_t elapsed;

                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        break;
                if (errno != EWOULDBLOCK)
                        return ctx_error(st->ctx, negative_errno(), "cannot lock %s: %m", path);
                clock_gettime(CLOCK_MONOTONIC, &now);
                elapsed = (now.tv_sec - start.tv_sec) * 1000 +
                          (now.tv_nsec - start.tv_nsec) / 1000000;
                if (elapsed >= timeout_ms) {
                        lock_describe_holder(fd, holder, sizeof(holder));
                        return ctx_error_reason(st->ctx, VFIOCTL_REASON_TIMEOUT, -EBUSY,
                                         "another vfioctl is changing devices: %s holds %s; "
                                         "gave up after %.1f s",
                                         holder, path, timeout_ms / 1000.0);
                }
                usleep(wait_ms * 1000);
        }
        r = lock_write_holder(fd, command ? command : state_default_command());
        if (r < 0)
                log_debug(st->ctx, "cannot record the lock holder in %s: %s", path, strerror(-r));
        st->lock_fd = TAKE_FD(fd);
        return 0;
}

VFIOCTL_EXPORT void vfioctl_state_unlock(vfioctl_state *st)
{
        assert_return_void(st);
        if (st->lock_fd < 0)
                return;
        /* Empty the file first: a waiter reading it then sees no stale holder. */
        if (ftruncate(st->lock_fd, 0) < 0)
                log_debug(st->ctx, "cannot empty the lock file: %m");
        close(st->lock_fd);
        st->lock_fd = -EBADF;
}

const char *state_default_command(void)
{
        static char cmd[512];
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;

        if (cmd[0])
                return cmd;
        /* Our own argv, NUL-separated; not under --root: this is us. */
        fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
        n = fd >= 0 ? read(fd, cmd, sizeof(cmd) - 1) : -1;
        if (n <= 0) {
                snprintf(cmd, sizeof(cmd), "pid %d", (int) getpid());
                return cmd;
        }
        cmd[n] = '\0';
        while (n > 0 && cmd[n - 1] == '\0')
                n--;
        for (ssize_t i = 0; i < n; i++)
                if (cmd[i] == '\0')
                        cmd[i] = ' ';
        return cmd;
}

/* ------------------------------------------------------------------ */
/* Transactions                                                       */

static int state_writable(vfioctl_state *st)
{
        if (st->readonly || !st->db)
                return ctx_error(st->ctx, -EROFS, "state %s is open read-only", st->dir);
        return 0;
}

int state_begin(vfioctl_state *st)
{
        int r = state_writable(st);

        return r < 0 ? r : db_exec(st, "BEGIN IMMEDIATE");
}

int state_commit(vfioctl_state *st)
{
        return db_exec(st, "COMMIT");
}

void state_rollback(vfioctl_state *st)
{
        if (st->db && !sqlite3_get_autocommit(st->db))
                sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* Devices                                                            */

static const char *role_word(enum vfioctl_role role)
{
        return role == VFIOCTL_ROLE_HELD ? "held" : role == VFIOCTL_ROLE_ASSIGNED ? "assigned" : NULL;
}

static enum vfioctl_role role_parse(const unsigned char *s)
{
        if (!s)
                return VFIOCTL_ROLE_NONE;
        return streq((const char *) s, "held") ? VFIOCTL_ROLE_HELD : VFIOCTL_ROLE_ASSIGNED;
}

int state_device_put(vfioctl_state *st, const struct vfioctl_state_device *d)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r;

        r = state_writable(st);
        if (r < 0)
                return r;
        r = db_prepare(st,
                       "INSERT OR REPLACE INTO devices (address, iommu_group, original_driver, "
                       "original_override, stub_driver, found_detached, detached_by, detached_at, "
                       "owner, role, managed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                       &s);
        if (r < 0)
                return r;
        sqlite3_bind_text(s, 1, d->address, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(s, 2, d->group);
        bind_str(s, 3, d->original_driver);
        bind_str(s, 4, d->original_override);
        bind_str(s, 5, d->stub_driver);
        sqlite3_bind_int(s, 6, d->found_detached);
        bind_str(s, 7, d->detached_by ? d->detached_by : state_default_command());
        sqlite3_bind_int64(s, 8, d->detached_at ? d->detached_at : (int64_t) time(NULL));
        bind_str(s, 9, d->owner);
        bind_str(s, 10, d->owner ? role_word(d->role) : NULL);
        sqlite3_bind_int(s, 11, d->managed);
        return step_done(st, s);
}

int state_device_delete(vfioctl_state *st, const char *address)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r;

        r = state_writable(st);
        if (r < 0)
                return r;
        r = db_prepare(st, "DELETE FROM devices WHERE address = ?1", &s);
        if (r < 0)
                return r;
        sqlite3_bind_text(s, 1, address, -1, SQLITE_TRANSIENT);
        return step_done(st, s);
}

static void device_row_clear(struct vfioctl_state_device *d)
{
        free(d->original_driver);
        free(d->original_override);
        free(d->stub_driver);
        free(d->detached_by);
        free(d->owner);
}

VFIOCTL_EXPORT void vfioctl_state_devices_free(struct vfioctl_state_device *d, size_t n)
{
        if (!d)
                return;
        for (size_t i = 0; i < n; i++)
                device_row_clear(&d[i]);
        free(d);
}

#define DEVICE_COLUMNS                                                                      \
        "address, iommu_group, original_driver, original_override, stub_driver, "           \
        "found_detached, detached_by, detached_at, owner, role, managed"

static int device_row_read(vfioctl_state *st, sqlite3_stmt *s, struct vfioctl_state_device *d)
{
        if (col_addr(st, s, 0, "devices", d->address) < 0)
                return -EBADMSG;
        d->group = sqlite3_column_int(s, 1);
        d->found_detached = sqlite3_column_int(s, 5);
        d->detached_at = sqlite3_column_int64(s, 7);
        d->role = role_parse(sqlite3_column_text(s, 9));
        d->managed = sqlite3_column_int(s, 10);
        if (col_str(s, 2, &d->original_driver) < 0 || col_str(s, 3, &d->original_override) < 0 ||
            col_str(s, 4, &d->stub_driver) < 0 || col_str(s, 6, &d->detached_by) < 0 ||
            col_str(s, 8, &d->owner) < 0)
                return -ENOMEM;
        return 0;
}

/* Runs a query of DEVICE_COLUMNS rows into a fresh array. */
static int device_rows(vfioctl_state *st, sqlite3_stmt *s, struct vfioctl_state_device **ret,
                       size_t *ret_n)
{
        struct vfioctl_state_device *l = NULL;
        size_t n = 0;
        int rc, r = 0;

        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                struct vfioctl_state_device *nl = realloc(l, (n + 1) * sizeof(*l));

                if (!nl) {
                        r = -ENOMEM;
                        break;
                }
                l = nl;
                memset(&l[n], 0, sizeof(l[n]));
                r = device_row_read(st, s, &l[n++]);
                if (r >= 0)
                        r = check_device_row(st, &l[n - 1]);
                if (r < 0)
                        break;
        }
        if (r >= 0 && rc != SQLITE_DONE)
                r = db_error(st, rc, "read devices");
        if (r < 0) {
                vfioctl_state_devices_free(l, n);
                return r;
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

VFIOCTL_EXPORT int vfioctl_state_get_devices(vfioctl_state *st, const char *owner,
                                             struct vfioctl_state_device **ret, size_t *ret_n)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r;

        assert_return(st && ret && ret_n, -EINVAL);
        if (!st->db) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        r = db_prepare(st,
                       owner ? "SELECT " DEVICE_COLUMNS " FROM devices WHERE owner = ?1 ORDER BY address"
                             : "SELECT " DEVICE_COLUMNS " FROM devices ORDER BY address",
                       &s);
        if (r < 0)
                return r;
        if (owner)
                sqlite3_bind_text(s, 1, owner, -1, SQLITE_TRANSIENT);
        return device_rows(st, s, ret, ret_n);
}

int state_device_get(vfioctl_state *st, const char *address, struct vfioctl_state_device **ret)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        struct vfioctl_state_device *l;
        size_t n;
        int r;

        if (!st->db)
                return -ENOENT;
        r = db_prepare(st, "SELECT " DEVICE_COLUMNS " FROM devices WHERE address = ?1", &s);
        if (r < 0)
                return r;
        sqlite3_bind_text(s, 1, address, -1, SQLITE_TRANSIENT);
        r = device_rows(st, s, &l, &n);
        if (r < 0)
                return r;
        if (n == 0) {
                free(l);
                return -ENOENT;
        }
        *ret = l;
        return 0;
}

/* ------------------------------------------------------------------ */
/* Guests                                                             */

int state_guest_put(vfioctl_state *st, const char *name, int pid, const char *definition,
                    const char *qemu_args)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r;

        r = state_writable(st);
        if (r < 0)
                return r;
        r = db_prepare(st,
                       "INSERT INTO guests (name, pid, definition, qemu_args, created_at) "
                       "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(name) DO UPDATE SET "
                       "pid = excluded.pid, definition = excluded.definition, "
                       "qemu_args = excluded.qemu_args",
                       &s);
        if (r < 0)
                return r;
        sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
        if (pid > 0)
                sqlite3_bind_int(s, 2, pid);
        else
                sqlite3_bind_null(s, 2);
        bind_str(s, 3, definition);
        bind_str(s, 4, qemu_args);
        sqlite3_bind_int64(s, 5, (int64_t) time(NULL));
        return step_done(st, s);
}

int state_guest_delete(vfioctl_state *st, const char *name)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r;

        r = state_writable(st);
        if (r < 0)
                return r;
        r = db_prepare(st, "DELETE FROM guests WHERE name = ?1", &s);
        if (r < 0)
                return r;
        sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
        return step_done(st, s);
}

void state_guest_clear(struct state_guest *g)
{
        free(g->name);
        free(g->definition);
        free(g->qemu_args);
        *g = (struct state_guest) {};
}

int state_guest_get(vfioctl_state *st, const char *name, struct state_guest *ret)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        struct state_guest g = {};
        int rc, r;

        if (!st->db)
                return -ENOENT;
        r = db_prepare(st, "SELECT name, pid, definition, qemu_args, created_at FROM guests "
                           "WHERE name = ?1", &s);
        if (r < 0)
                return r;
        sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(s);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return db_error(st, rc, "read guests");
        g.pid = sqlite3_column_int(s, 1);
        g.created_at = sqlite3_column_int64(s, 4);
        if (col_str(s, 0, &g.name) < 0 || col_str(s, 2, &g.definition) < 0 ||
            col_str(s, 3, &g.qemu_args) < 0) {
                state_guest_clear(&g);
                return -ENOMEM;
        }
        *ret = g;
        return 0;
}

int state_guest_names(vfioctl_state *st, char ***ret)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        char **l = calloc(1, sizeof(char *));
        size_t n = 0;
        int rc = SQLITE_DONE, r;

        if (!l)
                return -ENOMEM;
        if (!st->db) {
                *ret = l;
                return 0;
        }
        r = db_prepare(st, "SELECT name FROM guests ORDER BY name", &s);
        while (r >= 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
                char **nl = realloc(l, (n + 2) * sizeof(*l));

                if (!nl) {
                        r = -ENOMEM;
                        break;
                }
                l = nl;
                l[n + 1] = NULL;
                r = col_str(s, 0, &l[n]);
                n += r >= 0;
        }
        if (r >= 0 && rc != SQLITE_DONE)
                r = db_error(st, rc, "read guests");
        if (r < 0) {
                strv_free(l);
                return r;
        }
        *ret = l;
        return 0;
}

int state_device_set_owner(vfioctl_state *st, const char *address, const char *owner,
                           enum vfioctl_role role, bool managed)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r;

        r = state_writable(st);
        if (r < 0)
                return r;
        r = db_prepare(st, "UPDATE devices SET owner = ?2, role = ?3, managed = ?4 "
                           "WHERE address = ?1", &s);
        if (r < 0)
                return r;
        sqlite3_bind_text(s, 1, address, -1, SQLITE_TRANSIENT);
        bind_str(s, 2, owner);
        bind_str(s, 3, owner ? role_word(role) : NULL);
        sqlite3_bind_int(s, 4, managed);
        r = step_done(st, s);
        if (r < 0)
                return r;
        return sqlite3_changes(st->db) > 0 ? 0 : -ENOENT;
}

/* ------------------------------------------------------------------ */
/* The journal                                                        */

/* Journals changes as seq first.. of operation id, inside the caller's transaction. */
static int op_changes_insert(vfioctl_state *st, int64_t id, size_t first,
                             const struct vfioctl_state_change *changes, size_t n)
{
        _cleanup_stmt_ sqlite3_stmt *ch = NULL;
        int r;

        r = db_prepare(st, "INSERT INTO op_changes (op_id, seq, address, iommu_group, "
                           "before_driver, before_override, target_driver, target_override) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", &ch);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                sqlite3_reset(ch);
                sqlite3_bind_int64(ch, 1, id);
                sqlite3_bind_int(ch, 2, (int) (first + i));
                sqlite3_bind_text(ch, 3, changes[i].address, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int(ch, 4, changes[i].group);
                bind_str(ch, 5, changes[i].before_driver);
                bind_str(ch, 6, changes[i].before_override);
                bind_str(ch, 7, changes[i].target_driver);
                bind_str(ch, 8, changes[i].target_override);
                r = step_done(st, ch);
                if (r < 0)
                        return r;
        }
        return 0;
}

int state_op_begin(vfioctl_state *st, const char *kind, const char *command,
                   const struct vfioctl_state_change *changes, size_t n, int64_t *ret_id)
{
        _cleanup_stmt_ sqlite3_stmt *op = NULL;
        int64_t id;
        int r;

        r = state_begin(st);
        if (r < 0)
                return r;
        r = db_prepare(st, "INSERT INTO operations (kind, command, pid, started_at) "
                           "VALUES (?1, ?2, ?3, ?4)", &op);
        if (r < 0)
                goto fail;
        sqlite3_bind_text(op, 1, kind, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(op, 2, command ? command : state_default_command(), -1,
                          SQLITE_TRANSIENT);
        sqlite3_bind_int(op, 3, (int) getpid());
        sqlite3_bind_int64(op, 4, (int64_t) time(NULL));
        r = step_done(st, op);
        if (r < 0)
                goto fail;
        id = sqlite3_last_insert_rowid(st->db);
        r = op_changes_insert(st, id, 0, changes, n);
        if (r < 0)
                goto fail;
        r = state_commit(st);
        if (r < 0)
                goto fail;
        *ret_id = id;
        return 0;
fail:
        state_rollback(st);
        return r;
}

int state_op_add_changes(vfioctl_state *st, int64_t id, size_t first,
                         const struct vfioctl_state_change *changes, size_t n)
{
        int r;

        r = state_begin(st);
        if (r < 0)
                return r;
        r = op_changes_insert(st, id, first, changes, n);
        if (r >= 0)
                r = state_commit(st);
        if (r < 0)
                state_rollback(st);
        return r;
}

/*
 * Issue 14 #6: a full state file system must never stop a rollback. Every
 * journal write lands in the WAL; give the WAL, beyond its end, the blocks
 * the whole operation can need (its writes, their rollback, the record at
 * the end), before the first sysfs write. fallocate(KEEP_SIZE) allocates
 * them without changing what SQLite reads: frames it appends there need
 * no new space. Measured: a journaled write costs 3 frames (insert: table
 * and key; update: table); a device takes at most 3 writes one way and 3
 * back; 16 frames cover the operation's begin and end.
 */
#define RESERVE_FRAMES_PER_DEVICE 18
#define RESERVE_FRAMES_FIXED 16
static int wal_open(vfioctl_state *st, int *ret_fd, off_t *ret_size)
{
        _cleanup_free_ char *wal = NULL;
        struct stat sb;
        int fd;

        if (asprintf(&wal, "%s/state.db-wal", st->dir) < 0)
                return -ENOMEM;
        fd = open(wal, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &sb) < 0) {
                close(fd);
                return -EIO;
        }
        *ret_fd = fd;
        *ret_size = sb.st_size;
        return 0;
}

/*
 * Gives the reserved blocks beyond the WAL's end back: kept, they would
 * fill the file system themselves, and the checkpoint at close, which
 * grows state.db, needs that room.
 */
void state_op_unreserve(vfioctl_state *st, off_t end)
{
        _cleanup_close_ int fd = -EBADF;
        off_t size;

        if (end <= 0 || wal_open(st, &fd, &size) < 0 || end <= size)
                return;
        if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, size, end - size) < 0)
                log_debug(st->ctx, "cannot give back the journal's reserved space: %m");
}

int state_op_reserve(vfioctl_state *st, size_t n_devices, off_t *ret_end)
{
        _cleanup_close_ int fd = -EBADF;
        int64_t page_size = 4096;
        off_t len, size;
        int r;

        *ret_end = 0;
        r = state_writable(st);
        if (r < 0)
                return r;
        (void) pragma_int(st, "PRAGMA page_size", &page_size);
        len = (off_t) (RESERVE_FRAMES_FIXED + RESERVE_FRAMES_PER_DEVICE * n_devices) *
              (page_size + 24);
        r = wal_open(st, &fd, &size);
        if (r < 0) {
                log_debug(st->ctx, "no WAL to reserve journal space in: %s", strerror(-r));
                return 0;
        }
        if (fallocate(fd, FALLOC_FL_KEEP_SIZE, size, len) == 0) {
                *ret_end = size + len;
                return 0;
        }
        if (errno == EOPNOTSUPP || errno == ENOSYS) {
                log_debug(st->ctx, "cannot reserve journal space here: %m");
                return 0;
        }
        r = negative_errno();
        if (r == -ENOSPC) {
                struct statvfs sv;
                uint64_t avail = statvfs(st->dir, &sv) == 0 ? (uint64_t) sv.f_bavail * sv.f_frsize : 0;

                return ctx_error(st->ctx, -ENOSPC,
                                 "%s/state.db: the file system of %s is too full to journal this "
                                 "operation (%" PRIu64 " KiB free, %" PRIu64 " KiB needed), so "
                                 "nothing was changed; free some space there (the state is not "
                                 "damaged: keep it, it records the original drivers)",
                                 st->dir, st->dir, avail / 1024, (uint64_t) len / 1024);
        }
        return ctx_error(st->ctx, r, "cannot reserve journal space in %s/state.db-wal: %s", st->dir,
                         strerror(-r));
}

int state_op_step_intended(vfioctl_state *st, int64_t op, int seq, const char *address,
                           const char *path, const char *value, int helper_pid)
{
        _cleanup_kept_stmt_ sqlite3_stmt *s = NULL;
        int r;

        r = db_prepare_kept(st, STATE_STMT_STEP_INTENDED,
                            "INSERT INTO op_steps (op_id, seq, address, path, value, status, "
                            "helper_pid) VALUES (?1, ?2, ?3, ?4, ?5, 'intended', ?6)", &s);
        if (r < 0)
                return r;
        sqlite3_bind_int64(s, 1, op);
        sqlite3_bind_int(s, 2, seq);
        sqlite3_bind_text(s, 3, address, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 4, path, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 5, value, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(s, 6, helper_pid);
        return step_done(st, s);
}

int state_op_step_set(vfioctl_state *st, int64_t op, int seq, const char *status, int helper_pid)
{
        _cleanup_kept_stmt_ sqlite3_stmt *s = NULL;
        int r;

        r = db_prepare_kept(st, STATE_STMT_STEP_SET,
                            "UPDATE op_steps SET status = ?3, helper_pid = ?4 "
                            "WHERE op_id = ?1 AND seq = ?2", &s);
        if (r < 0)
                return r;
        sqlite3_bind_int64(s, 1, op);
        sqlite3_bind_int(s, 2, seq);
        sqlite3_bind_text(s, 3, status, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(s, 4, helper_pid);
        return step_done(st, s);
}

int state_op_end(vfioctl_state *st, int64_t op)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r;

        r = db_prepare(st, "DELETE FROM operations WHERE id = ?1", &s);
        if (r < 0)
                return r;
        sqlite3_bind_int64(s, 1, op);
        return step_done(st, s);
}

static void op_clear(struct vfioctl_state_op *op)
{
        free(op->kind);
        free(op->command);
        for (size_t i = 0; i < op->n_changes; i++) {
                free(op->changes[i].before_driver);
                free(op->changes[i].before_override);
                free(op->changes[i].target_driver);
                free(op->changes[i].target_override);
        }
        free(op->changes);
        for (size_t i = 0; i < op->n_steps; i++) {
                free(op->steps[i].path);
                free(op->steps[i].value);
                free(op->steps[i].status);
        }
        free(op->steps);
}

void state_ops_free(struct vfioctl_state_op *ops, size_t n)
{
        if (!ops)
                return;
        for (size_t i = 0; i < n; i++)
                op_clear(&ops[i]);
        free(ops);
}

static int op_load_changes(vfioctl_state *st, struct vfioctl_state_op *op)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int rc, r;

        r = db_prepare(st, "SELECT address, iommu_group, before_driver, before_override, "
                           "target_driver, target_override FROM op_changes WHERE op_id = ?1 "
                           "ORDER BY seq", &s);
        if (r < 0)
                return r;
        sqlite3_bind_int64(s, 1, op->id);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                struct vfioctl_state_change *n = realloc(op->changes,
                                                         (op->n_changes + 1) * sizeof(*n));
                struct vfioctl_state_change *c;

                if (!n)
                        return -ENOMEM;
                op->changes = n;
                c = &n[op->n_changes++];
                memset(c, 0, sizeof(*c));
                r = col_addr(st, s, 0, "op_changes", c->address);
                if (r < 0)
                        return r;
                c->group = sqlite3_column_int(s, 1);
                if (col_str(s, 2, &c->before_driver) < 0 || col_str(s, 3, &c->before_override) < 0 ||
                    col_str(s, 4, &c->target_driver) < 0 || col_str(s, 5, &c->target_override) < 0)
                        return -ENOMEM;
                r = check_change_row(st, c);
                if (r < 0)
                        return r;
        }
        return rc == SQLITE_DONE ? 0 : db_error(st, rc, "read journal");
}

static int op_load_steps(vfioctl_state *st, struct vfioctl_state_op *op)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int rc, r;

        r = db_prepare(st, "SELECT seq, address, path, value, status, helper_pid FROM op_steps "
                           "WHERE op_id = ?1 ORDER BY seq", &s);
        if (r < 0)
                return r;
        sqlite3_bind_int64(s, 1, op->id);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                struct vfioctl_state_step *n = realloc(op->steps, (op->n_steps + 1) * sizeof(*n));
                struct vfioctl_state_step *p;

                if (!n)
                        return -ENOMEM;
                op->steps = n;
                p = &n[op->n_steps++];
                memset(p, 0, sizeof(*p));
                p->seq = sqlite3_column_int(s, 0);
                r = col_addr(st, s, 1, "op_steps", p->address);
                if (r < 0)
                        return r;
                p->helper_pid = sqlite3_column_int(s, 5);
                if (col_str(s, 2, &p->path) < 0 || col_str(s, 3, &p->value) < 0 ||
                    col_str(s, 4, &p->status) < 0)
                        return -ENOMEM;
        }
        return rc == SQLITE_DONE ? 0 : db_error(st, rc, "read journal");
}

int state_get_pending(vfioctl_state *st, struct vfioctl_state_op **ret, size_t *ret_n)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        struct vfioctl_state_op *ops = NULL;
        size_t n = 0;
        int rc, r = 0;

        assert_return(st && ret && ret_n, -EINVAL);
        if (!st->db) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        r = db_prepare(st, "SELECT id, kind, command, pid, started_at FROM operations ORDER BY id",
                       &s);
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                struct vfioctl_state_op *nl = realloc(ops, (n + 1) * sizeof(*ops));
                struct vfioctl_state_op *op;

                if (!nl) {
                        r = -ENOMEM;
                        break;
                }
                ops = nl;
                op = &ops[n++];
                memset(op, 0, sizeof(*op));
                op->id = sqlite3_column_int64(s, 0);
                op->pid = sqlite3_column_int(s, 3);
                op->started_at = sqlite3_column_int64(s, 4);
                if (col_str(s, 1, &op->kind) < 0 || col_str(s, 2, &op->command) < 0) {
                        r = -ENOMEM;
                        break;
                }
                r = op_load_changes(st, op);
                if (r >= 0)
                        r = op_load_steps(st, op);
                if (r < 0)
                        break;
        }
        if (r >= 0 && rc != SQLITE_DONE)
                r = db_error(st, rc, "read journal");
        if (r < 0) {
                state_ops_free(ops, n);
                return r;
        }
        *ret = ops;
        *ret_n = n;
        return 0;
}
