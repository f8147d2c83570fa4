//  form.h: a paper claim form template (schemas/forms/cms1500.json).
//
//  The template is expressed on the print matrix that billing software
//  prints on (docs/formats.md): 10 characters per inch, 6 lines per inch, and a
//  first print position (row, column) at a fixed distance from the top-left
//  corner of the sheet. A field zone is (row, col, width in characters);
//  drawing items (lines, labels, shading) use fractional matrix units. The
//  same template drives the renderer (client/paper.c) and the OCR reader
//  (ocr/ocr.c), so both agree on where every value is.
//
//  Loading is a decoder of untrusted configuration: sizes are capped, every
//  key is type-checked, and errors name the item ("fields[3].type: ...").
#ifndef CQ_FORM_H
#define CQ_FORM_H

#include "claim.h"
#include "err.h"

#define CQ_FORM_MAX_JSON (1u << 20) // a template file is at most 1 MiB
#define CQ_FORM_MAX_FIELDS 256      // expanded fields (service lines included)
#define CQ_FORM_MAX_LINES 512       // drawn lines
#define CQ_FORM_MAX_LABELS 512      // labels and constants, each
#define CQ_FORM_MAX_CELLS 4         // sub-cells of one field
#define CQ_FORM_MAX_CHOICES 4       // checkbox choices of one field
#define CQ_FORM_MAX_SERVICE_LINES 6 // service lines on one form
#define CQ_FORM_MAX_ROW 72          // matrix rows (66 on letter at 6 lpi)
#define CQ_FORM_MAX_COL 90          // matrix columns (85 on letter at 10 cpi)
#define CQ_FORM_NAME_LEN 40         // "line6.diagnosis_pointers"

//  What a field holds; the type drives validation and letter/digit repair.
typedef enum {
    CQ_FT_ID = 0,   // identifier: A-Z 0-9 and '-' (member id, claim id)
    CQ_FT_NAME,     // person "LAST, FIRST" or organisation name
    CQ_FT_DATE,     // MM DD YY or MM DD CCYY in cells
    CQ_FT_MONEY,    // dollars and cents in two cells
    CQ_FT_CODE,     // short code (POS, modifier, resubmission code)
    CQ_FT_NPI,      // 10 digits with the Luhn check digit
    CQ_FT_ICD10,    // ICD-10-CM printed without its point
    CQ_FT_CPT,      // CPT / HCPCS level II: 5 characters
    CQ_FT_INTEGER,  // whole number in [min, max]
    CQ_FT_POINTERS, // diagnosis pointers: letters A-L
    CQ_FT_CHECK,    // checkbox group (one mark among choices)
} cq_form_type_t;

//  Which claim value a field carries.
typedef enum {
    CQ_FK_PAYER_ID = 0,
    CQ_FK_MEMBER_ID,
    CQ_FK_MEMBER_NAME,
    CQ_FK_MEMBER_BIRTH,
    CQ_FK_MEMBER_SEX,
    CQ_FK_FREQUENCY,
    CQ_FK_ORIGINAL_ID,
    CQ_FK_PRIOR_AUTH,
    CQ_FK_DIAGNOSIS,
    CQ_FK_TAX_ID,
    CQ_FK_CLAIM_ID,
    CQ_FK_TOTAL,
    CQ_FK_BILLING_NAME,
    CQ_FK_BILLING_NPI,
    CQ_FK_RECEIVED, // the received date stamped on the form (not a box)
    //  service line fields (field.line is 1..6)
    CQ_FK_L_FROM,
    CQ_FK_L_TO,
    CQ_FK_L_POS,
    CQ_FK_L_PROC,
    CQ_FK_L_MODS,
    CQ_FK_L_PTRS,
    CQ_FK_L_CHARGE,
    CQ_FK_L_UNITS,
    CQ_FK_L_NPI,
} cq_form_key_t;

typedef enum {
    CQ_CS_ANY = 0, // whatever the type allows
    CQ_CS_DIGITS,  // 0-9 only
    CQ_CS_ALNUM,   // A-Z 0-9
} cq_form_charset_t;

typedef struct {
    uint8_t col;   // first column of the cell
    uint8_t width; // characters
} cq_form_cell_t;

typedef struct {
    uint8_t col; // column of the checkbox cell
    char value;  // value when this box carries the mark ('M')
} cq_form_choice_t;

typedef struct {
    char name[CQ_FORM_NAME_LEN]; // "member.id", "diagnoses.C", "line2.charge"
    char box[12];                // form box: "1a", "21C", "24F"
    cq_form_key_t key;           // claim value
    cq_form_type_t type;         // validation
    uint8_t line;                // 0 claim level, else service line 1..6
    uint8_t index;               // diagnoses: 1..12, else 0
    uint8_t row;                 // matrix row
    uint8_t col;                 // first column
    uint8_t width;               // characters
    uint8_t n_cells;             // 0: one cell = the whole zone
    cq_form_cell_t cells[CQ_FORM_MAX_CELLS];
    uint8_t n_choices; // CQ_FT_CHECK only
    cq_form_choice_t choices[CQ_FORM_MAX_CHOICES];
    char blank_value; // CQ_FT_CHECK: value when nothing is marked
    uint8_t min_len;  // characters after normalisation (0: type)
    uint8_t max_len;  // 0: the zone width
    int32_t min;      // CQ_FT_INTEGER bounds
    int32_t max;
    cq_form_charset_t charset; // extra restriction on characters
    bool century;              // dates: CCYY (true) or YY (false)
    bool person;               // names: "LAST, FIRST"
    bool required;             // blank is a reason to pend
    char values[4][4];         // allowed values (codes), "" = any
} cq_form_field_t;

//  A drawn line in matrix units: horizontal (y0 == y1) or vertical.
typedef struct {
    double x0, y0, x1, y1; // columns and rows (fractions allowed)
    uint8_t style;         // 0 solid, 1 thin, 2 dotted
} cq_form_line_t;

typedef struct {
    double row, col; // top-left in matrix units
    double size;     // points
    int rotate;      // 0 or 90 (reads bottom to top)
    bool bold;
    char text[160];
} cq_form_label_t;

typedef struct {
    double top, bottom, left, right; // matrix units
} cq_form_rect_t;

typedef struct {
    char name[32];    // "cms1500"
    char version[16]; // "02/12"
    double page_w_in; // sheet size in inches
    double page_h_in;
    double cpi, lpi;       // matrix pitch
    int first_row;         // row printed at top_in
    int first_col;         // column printed at left_in
    double top_in;         // top of first_row, inches from the sheet's top
    double left_in;        // left of first_col, inches from the sheet's left
    cq_form_rect_t frame;  // the outer frame (registration anchors)
    cq_form_line_t *lines; // inner lines, owned
    size_t n_lines;
    cq_form_rect_t *shading; // shaded bands, owned
    size_t n_shading;
    cq_form_rect_t *checkboxes; // checkbox squares, owned
    size_t n_checkboxes;
    cq_form_label_t *labels; // red form text, owned
    size_t n_labels;
    cq_form_label_t *constants; // black data printed on every claim, owned
    size_t n_constants;
    cq_form_field_t *fields; // claim fields then service line fields
    size_t n_fields;
    int n_service_lines; // service lines per form (<= 6)
} cq_form_t;

//  Parses a template from JSON text. On success *out is a new template
//  (caller destroys). Returns 0, CQ_ETOOBIG or CQ_EPROTO with diag naming
//  the item at fault.
int cq_form_parse(const char *json, size_t len, cq_form_t **out,
                  cq_diag_t *diag);
//  Reads and parses a template file.
int cq_form_load(const char *path, cq_form_t **out, cq_diag_t *diag);
//  Finds and loads the template: path if not NULL, else $CQ_FORM, else the
//  installed <exe dir>/../share/claimq/forms/cms1500.json, else the copy
//  of schemas/forms/cms1500.json compiled into the program. Returns 0, or
//  an error with diag (a file given that does not load).
int cq_form_load_default(const char *path, cq_form_t **out, cq_diag_t *diag);
void cq_form_destroy(cq_form_t **self_p);

//  Matrix units to inches from the sheet's top-left corner.
double cq_form_x_in(const cq_form_t *self, double col);
double cq_form_y_in(const cq_form_t *self, double row);

//  The text a field prints for claim c, one string per cell (a field
//  without cells has one), as billing software types it on the form:
//  dates "MM" "DD" "YY", money dollars right-aligned and cents, ICD codes
//  without the point. For a checkbox, cells[0] is the chosen value ("M").
//  Returns the number of non-empty cells (0 = the field is blank).
#define CQ_FORM_CELL_LEN 160
int cq_form_field_print(const cq_form_field_t *f, const cq_claim_t *c,
                        char cells[CQ_FORM_MAX_CELLS][CQ_FORM_CELL_LEN]);
//  The canonical value of a field for claim c, as the OCR reader reports
//  it after validation: dates ISO ("2026-02-20"), money "150.00", ICD with
//  the point, pointers "AB", modifiers "25 59", names "DOE, JANE". Empty
//  for a blank field. Used to compare OCR results with the truth.
void cq_form_field_value(const cq_form_field_t *f, const cq_claim_t *c,
                         char *out, size_t outsize);

//  Adjusts claim c to what one form can carry: keeps the first
//  n_service_lines lines, recomputes total_charge as their sum, drops the
//  received date when the template has no received_date field (the
//  mailroom's stamp), writes names in capitals and cuts them to their
//  box, as billing software does.
//  Returns 0, or CQ_ETOOBIG / CQ_EUNSUPPORTED naming the value in diag
//  when a value does not fit its box (a long id, a charge over 99999.99,
//  fractional units, lower-case letters in an id, an institutional
//  claim), in which case c cannot be printed.
int cq_form_fit_claim(const cq_form_t *self, cq_claim_t *c, cq_diag_t *diag);

const char *cq_form_type_name(cq_form_type_t t);

#endif
