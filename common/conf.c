//  conf.c: the configuration file parser (conf.h). Line by line, every
//  size capped before anything is allocated; a refusal names the line.
#include "conf.h"

#include "mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool
s_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

//  A key or section word: lower-case letters, digits, '-' (and ' ' between
//  words of a section: "ledger query").
static bool
s_word(const char *s, size_t n, bool spaces)
{
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  (c == '-' && i > 0) ||
                  (spaces && c == ' ' && i > 0 && i + 1 < n && s[i - 1] != ' ');
        if (!ok)
            return false;
    }
    return true;
}

//  The value at v[0..n) (already trimmed) into a new string: as is, or
//  unquoted. NULL when a quoted value is malformed.
static char *
s_value(const char *v, size_t n, const char **why)
{
    if (n == 0 || v[0] != '"')
        return cq_xstrndup(v, n);
    if (n < 2 || v[n - 1] != '"') {
        *why = "a quoted value must end with '\"'";
        return NULL;
    }
    char *out = cq_xmalloc(n);
    size_t o = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        char c = v[i];
        if (c == '\\') {
            if (i + 2 >= n || (v[i + 1] != '"' && v[i + 1] != '\\')) {
                *why = "in a quoted value only \\\" and \\\\ are escapes";
                free(out);
                return NULL;
            }
            c = v[++i];
        } else if (c == '"') {
            *why = "a '\"' inside a quoted value must be written \\\"";
            free(out);
            return NULL;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return out;
}

static int
s_refuse(cq_diag_t *diag, int code, unsigned line, const char *why)
{
    return cq_diag_set(diag, code, line, "line %u: %s", line, why);
}

cq_conf_t *
cq_conf_parse(const char *text, size_t len, const char *path, cq_diag_t *diag)
{
    if (len > CQ_CONF_MAX_BYTES) {
        cq_diag_set(diag, CQ_ETOOBIG, 0, "larger than %u bytes",
                    CQ_CONF_MAX_BYTES);
        return NULL;
    }
    cq_conf_t *self = cq_xcalloc(1, sizeof *self);
    self->path = cq_xstrdup(path ? path : "(config)");
    size_t cap = 0;
    char *section = cq_xstrdup("");
    unsigned line = 0, section_line = 0;
    size_t pos = 0;
    while (pos < len) {
        line++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *s = text + pos;
        size_t n = end - pos;
        pos = end + 1;
        if (n > CQ_CONF_MAX_LINE) {
            s_refuse(diag, CQ_ETOOBIG, line, "line longer than 4096 bytes");
            goto fail;
        }
        if (memchr(s, '\0', n)) {
            s_refuse(diag, CQ_EPROTO, line, "a NUL byte (not a text file)");
            goto fail;
        }
        while (n > 0 && s_blank(*s))
            s++, n--;
        while (n > 0 && s_blank(s[n - 1]))
            n--;
        if (n == 0 || s[0] == '#' || s[0] == ';')
            continue;
        if (s[0] == '[') {
            if (s[n - 1] != ']') {
                s_refuse(diag, CQ_EPROTO, line, "a section must end with ']'");
                goto fail;
            }
            const char *w = s + 1;
            size_t wn = n - 2;
            while (wn > 0 && s_blank(*w))
                w++, wn--;
            while (wn > 0 && s_blank(w[wn - 1]))
                wn--;
            if (!s_word(w, wn, true)) {
                s_refuse(diag, CQ_EPROTO, line,
                         "a section is a command's name, as [submit] or "
                         "[ledger query]");
                goto fail;
            }
            free(section);
            section = cq_xstrndup(w, wn);
            section_line = line;
            continue;
        }
        const char *eq = memchr(s, '=', n);
        if (eq == NULL) {
            s_refuse(diag, CQ_EPROTO, line,
                     "expected 'key = value', '[section]' or a '#' comment");
            goto fail;
        }
        size_t kn = (size_t)(eq - s);
        while (kn > 0 && s_blank(s[kn - 1]))
            kn--;
        const char *v = eq + 1;
        size_t vn = n - (size_t)(v - s);
        while (vn > 0 && s_blank(*v))
            v++, vn--;
        if (kn >= 2 && s[0] == '-' && s[1] == '-') {
            s_refuse(diag, CQ_EPROTO, line,
                     "a key is an option's name without its dashes");
            goto fail;
        }
        if (!s_word(s, kn, false)) {
            s_refuse(diag, CQ_EPROTO, line,
                     "a key is an option's long name: lower-case letters, "
                     "digits and '-'");
            goto fail;
        }
        for (size_t i = 0; i < self->n; i++)
            if (strcmp(self->v[i].section, section) == 0 &&
                strlen(self->v[i].key) == kn &&
                memcmp(self->v[i].key, s, kn) == 0) {
                char why[160];
                snprintf(why, sizeof why,
                         "'%.*s' given twice (first on line %u)", (int)kn, s,
                         self->v[i].line);
                s_refuse(diag, CQ_EINVAL, line, why);
                goto fail;
            }
        if (self->n == CQ_CONF_MAX_ENTRIES) {
            s_refuse(diag, CQ_ETOOBIG, line, "more than 10000 entries");
            goto fail;
        }
        const char *why = NULL;
        char *value = s_value(v, vn, &why);
        if (value == NULL) {
            s_refuse(diag, CQ_EPROTO, line, why);
            goto fail;
        }
        if (self->n == cap) {
            cap = cap ? cap * 2 : 16;
            self->v = cq_xrealloc(self->v, cap * sizeof *self->v);
        }
        self->v[self->n++] = (cq_conf_entry_t){.section = cq_xstrdup(section),
                                               .key = cq_xstrndup(s, kn),
                                               .value = value,
                                               .line = line,
                                               .section_line = section_line};
    }
    free(section);
    return self;
fail:
    free(section);
    cq_conf_destroy(&self);
    return NULL;
}

cq_conf_t *
cq_conf_load(const char *path, cq_diag_t *diag)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        cq_diag_set(diag, CQ_EIO, 0, "cannot read: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode)) {
        fclose(f);
        cq_diag_set(diag, CQ_EIO, 0, "not a regular file");
        return NULL;
    }
    //  read one byte past the cap to know it is over
    char *text = cq_xmalloc(CQ_CONF_MAX_BYTES + 1);
    size_t len = fread(text, 1, CQ_CONF_MAX_BYTES + 1, f);
    bool err = ferror(f);
    fclose(f);
    if (err) {
        free(text);
        cq_diag_set(diag, CQ_EIO, 0, "cannot read: I/O error");
        return NULL;
    }
    cq_conf_t *self = cq_conf_parse(text, len, path, diag);
    free(text);
    return self;
}

void
cq_conf_destroy(cq_conf_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    cq_conf_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++) {
        free(self->v[i].section);
        free(self->v[i].key);
        free(self->v[i].value);
    }
    free(self->v);
    free(self->path);
    free(self);
    *self_p = NULL;
}
