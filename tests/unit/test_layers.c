//  test_layers.c: which part of the tree may include which. common/ knows
//  no other part; ocr/ builds on common/ alone; the broker and the worker
//  never include each other; nothing includes a program's main.
#include "cq_test.h"
#include "mem.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  The parts, and the parts each may include from besides its own.
static const struct {
    const char *dir;
    const char *may[4];
} s_parts[] = {
    {"common", {NULL}},
    {"ocr", {"common", NULL}},
    {"broker", {"common", NULL}},
    {"worker", {"common", "ocr", NULL}},
    {"client", {"common", "ocr", "broker", NULL}},
};

//  The part that holds header name (a file in one of the parts' folders),
//  or NULL for a system or generated header.
static const char *
s_owner(const char *name)
{
    for (size_t i = 0; i < CQ_ARRAY_LEN(s_parts); i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", s_parts[i].dir, name);
        FILE *f = fopen(cq_test_src(path), "r");
        if (f != NULL) {
            fclose(f);
            return s_parts[i].dir;
        }
    }
    return NULL;
}

static bool
s_may(size_t part, const char *owner)
{
    if (strcmp(owner, s_parts[part].dir) == 0)
        return true;
    for (size_t k = 0; s_parts[part].may[k] != NULL; k++)
        if (strcmp(owner, s_parts[part].may[k]) == 0)
            return true;
    return false;
}

Test(layers, every_include_stays_within_its_layer)
{
    unsigned files = 0, includes = 0;
    for (size_t i = 0; i < CQ_ARRAY_LEN(s_parts); i++) {
        DIR *d = opendir(cq_test_src(s_parts[i].dir));
        cr_assert_not_null(d, "%s/", s_parts[i].dir);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            size_t n = strlen(e->d_name);
            if (n < 3 || (strcmp(e->d_name + n - 2, ".c") != 0 &&
                          strcmp(e->d_name + n - 2, ".h") != 0))
                continue;
            char rel[512];
            snprintf(rel, sizeof rel, "%s/%s", s_parts[i].dir, e->d_name);
            char *text;
            size_t len;
            cr_assert_eq(cq_read_file(cq_test_src(rel), 8u << 20, &text, &len),
                         0, "%s", rel);
            files++;
            for (char *p = text; (p = strstr(p, "#include \"")) != NULL;) {
                p += strlen("#include \"");
                char *q = strchr(p, '"');
                cr_assert_not_null(q, "%s: an #include without its end", rel);
                char name[256];
                snprintf(name, sizeof name, "%.*s", (int)(q - p), p);
                cr_assert(strchr(name, '/') == NULL,
                          "%s includes \"%s\": by name, not by path", rel,
                          name);
                cr_assert(strcmp(name, "main.c") != 0, "%s", rel);
                const char *owner = s_owner(name);
                if (owner != NULL) {
                    cr_assert(s_may(i, owner),
                              "%s includes %s/%s: %s/ may not use %s/", rel,
                              owner, name, s_parts[i].dir, owner);
                    includes++;
                }
                p = q;
            }
            free(text);
        }
        closedir(d);
    }
    cr_assert_gt(files, 100, "%u files", files);
    cr_assert_gt(includes, 300, "%u includes", includes);
}
