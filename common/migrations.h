//  migrations.h: the SQL migrations of the ledger (schemas/ledger/) and of
//  the broker's journal (schemas/journal/), NNNN_name.sql, compiled in by
//  CMakeLists.txt into gen/migrations.c in the build directory. The .sql
//  files are the only source.
#ifndef CQ_MIGRATIONS_H
#define CQ_MIGRATIONS_H

typedef struct {
    int version;              // NNNN of the file name
    const char *name;         // file name without .sql
    const unsigned char *sql; // the file's bytes, NUL-terminated
} cq_migration_t;

//  In version order; ends with {0, NULL, NULL}.
extern const cq_migration_t cq_ledger_migrations[];
extern const cq_migration_t cq_journal_migrations[];

#endif
