/*
 * org_gen.c - the demo organisation: a made-up but plausible Vietnam Social
 * Security (Bảo hiểm xã hội Việt Nam) of any size, the same bytes for the
 * same seed and parameters (org.h, docs/organisation.md).
 *
 * What it makes, in this order:
 *   regions   national (the central agency) and the three regions North,
 *             Central–Highlands and South
 *   units     the IT Centre and seven central departments (region
 *             national), then the 63 provinces and centrally-run cities as
 *             they were before the 2025 merger, each in its region
 *   staff     per unit a share of p->staff (weights: central units fixed,
 *             provinces by a base plus their population), leaders first
 *             (director, deputies, heads and deputy heads of departments),
 *             then officers of the departments with their titles. Names:
 *             family names with their frequencies in Vietnam (Hoàng/Huỳnh
 *             and Vũ/Võ by region), middle and given names by gender.
 *             Mailboxes: the name without diacritics, dot-separated, a
 *             number from the second of a kind on (nguyen.van.an2), as
 *             scripts/stack/org.py does; the IT Centre's first eight people
 *             are the stack's (Nguyễn Văn An, Trần Thị Bình, …) so that its
 *             mailboxes exist here too.
 *   endpoints a desktop for everybody, a laptop for leaders and a fifth of
 *             the others, servers per unit owned by its IT head; host names
 *             CODE-PC-00001 / CODE-LT-00001 / CODE-ROLE-01; addresses in
 *             10.N.0.0/16 for the N-th unit (servers 10.N.1.x, clients from
 *             10.N.16.1)
 *   systems   the 26 application systems
 *   aliases   postmaster/abuse/security/helpdesk, and vanthu.UNIT per unit
 * Every record goes through org_add, so the result is valid by the same
 * rules as a loaded file. Randomness: xoshiro256** seeded by splitmix64;
 * integer arithmetic only, so every platform gives the same output.
 */
#include "org.h"

#include <assert.h>
#include <glib.h>
#include <string.h>

/* ---- randomness ---- */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

/* 0 .. n-1 (n > 0); the modulo bias is below 2^-40 for our n */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
	assert(n > 0);
	return (uint32_t)(rng_next(r) % n);
}

/* true with probability pct/100 */
static bool rng_pct(struct rng *r, uint32_t pct)
{
	return rng_below(r, 100) < pct;
}

struct wname {
	const char *s;
	uint32_t w;
};

static const char *rng_pick(struct rng *r, const struct wname *t, size_t n)
{
	uint32_t total = 0, x;

	for (size_t i = 0; i < n; i++)
		total += t[i].w;
	x = rng_below(r, total);
	for (size_t i = 0; i < n; i++) {
		if (x < t[i].w)
			return t[i].s;
		x -= t[i].w;
	}
	return t[n - 1].s;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(r, t) rng_pick((r), (t), N(t))

/* ---- names ---- */

/* share in thousandths, roughly as surveys of Vietnamese family names give
 * them; "Hoàng" and "Vũ" are split by region below */
static const struct wname family[] = {
        {"Nguyễn", 380}, {"Trần", 110}, {"Lê", 95},   {"Phạm", 70},  {"Hoàng", 51}, {"Phan", 45},
        {"Vũ", 39},      {"Đặng", 21},  {"Bùi", 20},  {"Đỗ", 14},    {"Hồ", 13},    {"Ngô", 13},
        {"Dương", 10},   {"Lý", 5},     {"Đinh", 8},  {"Trương", 8}, {"Đào", 6},    {"Trịnh", 6},
        {"Đoàn", 6},     {"Lâm", 5},    {"Mai", 5},   {"Hà", 5},     {"Lương", 4},  {"Lưu", 4},
        {"Cao", 4},      {"Tạ", 3},     {"Tô", 3},    {"Chu", 3},    {"Châu", 3},   {"Thái", 3},
        {"Vương", 3},    {"Tăng", 2},   {"Quách", 2}, {"Kiều", 2},   {"La", 2},     {"Triệu", 2},
        {"Từ", 2},       {"Lục", 1},    {"Mạc", 1},   {"Khúc", 1},
};

static const struct wname middle_m[] = {
        {"Văn", 400},  {"Minh", 100}, {"Đức", 80},   {"Đình", 50},  {"Hữu", 60},  {"Quốc", 60},
        {"Thanh", 60}, {"Quang", 60}, {"Công", 50},  {"Hoàng", 50}, {"Xuân", 40}, {"Duy", 40},
        {"Trọng", 40}, {"Ngọc", 30},  {"Thế", 30},   {"Tuấn", 30},  {"Anh", 30},  {"Tiến", 30},
        {"Việt", 30},  {"Hải", 30},   {"Trung", 30}, {"Mạnh", 20},  {"Bá", 20},   {"Gia", 20},
};

static const struct wname middle_f[] = {
        {"Thị", 550},  {"Thu", 60},    {"Ngọc", 60}, {"Thanh", 50}, {"Hồng", 40},  {"Kim", 40},
        {"Thùy", 40},  {"Phương", 30}, {"Minh", 30}, {"Bích", 30},  {"Mai", 20},   {"Diệu", 20},
        {"Khánh", 20}, {"Hải", 20},    {"Thúy", 20}, {"Lan", 20},   {"Quỳnh", 20}, {"Bảo", 20},
};

/* a second middle name after "Thị" (Nguyễn Thị Thu Hà) */
static const struct wname middle_f2[] = {
        {"Thu", 3}, {"Thanh", 3}, {"Ngọc", 3}, {"Minh", 2}, {"Hồng", 2},
        {"Kim", 2}, {"Bích", 2},  {"Mai", 1},  {"Thúy", 1}, {"Phương", 1},
};

static const struct wname given_m[] = {
        {"An", 3},    {"Anh", 5},   {"Bảo", 2},   {"Bình", 3},  {"Cường", 3}, {"Dũng", 4},
        {"Duy", 2},   {"Đạt", 3},   {"Đức", 3},   {"Dương", 2}, {"Giang", 2}, {"Hải", 4},
        {"Hiếu", 3},  {"Hòa", 2},   {"Hoàng", 3}, {"Hùng", 4},  {"Huy", 4},   {"Khang", 2},
        {"Khánh", 2}, {"Khoa", 2},  {"Kiên", 2},  {"Lâm", 2},   {"Long", 4},  {"Lợi", 1},
        {"Mạnh", 2},  {"Minh", 5},  {"Nam", 5},   {"Nghĩa", 2}, {"Phong", 3}, {"Phúc", 3},
        {"Quang", 3}, {"Quân", 3},  {"Sơn", 4},   {"Tài", 2},   {"Tâm", 2},   {"Thắng", 3},
        {"Thành", 4}, {"Thịnh", 2}, {"Toàn", 2},  {"Trung", 4}, {"Tuấn", 5},  {"Tùng", 3},
        {"Việt", 2},  {"Vinh", 3},  {"Vũ", 2},    {"Hưng", 3},  {"Phát", 1},  {"Lộc", 2},
};

static const struct wname given_f[] = {
        {"An", 2},    {"Anh", 5},   {"Bích", 2},  {"Châu", 2},  {"Chi", 2},    {"Dung", 3},
        {"Duyên", 2}, {"Giang", 3}, {"Hà", 5},    {"Hằng", 4},  {"Hạnh", 3},   {"Hiền", 4},
        {"Hoa", 3},   {"Hồng", 3},  {"Hương", 5}, {"Huyền", 4}, {"Lan", 4},    {"Linh", 5},
        {"Loan", 2},  {"Ly", 2},    {"Mai", 4},   {"Minh", 2},  {"My", 2},     {"Nga", 3},
        {"Ngân", 2},  {"Ngọc", 3},  {"Nhung", 3}, {"Oanh", 2},  {"Phương", 4}, {"Quỳnh", 3},
        {"Thảo", 5},  {"Thanh", 3}, {"Thu", 3},   {"Thủy", 4},  {"Trang", 5},  {"Trinh", 2},
        {"Tuyết", 2}, {"Uyên", 2},  {"Vân", 3},   {"Yến", 3},   {"Lê", 1},     {"Hậu", 1},
};

enum region { R_NATIONAL, R_NORTH, R_CENTRAL, R_SOUTH };

/* "Nguyễn Văn An" for a random person of the region */
static char *gen_name(struct rng *r, enum region reg, bool female)
{
	const char *fam = PICK(r, family), *mid, *mid2 = NULL, *giv;

	/* Hoàng is northern, Huỳnh southern; Vũ northern, Võ central and southern */
	if (strcmp(fam, "Hoàng") == 0 && (reg == R_SOUTH     ? rng_pct(r, 85)
	                                  : reg == R_CENTRAL ? rng_pct(r, 50)
	                                                     : rng_pct(r, 5)))
		fam = "Huỳnh";
	if (strcmp(fam, "Vũ") == 0 && (reg == R_SOUTH     ? rng_pct(r, 85)
	                               : reg == R_CENTRAL ? rng_pct(r, 70)
	                                                  : rng_pct(r, 10)))
		fam = "Võ";
	if (female) {
		mid = PICK(r, middle_f);
		if (strcmp(mid, "Thị") == 0 && rng_pct(r, 15))
			mid2 = PICK(r, middle_f2);
		do
			giv = PICK(r, given_f);
		while (strcmp(giv, mid) == 0 || (mid2 != NULL && strcmp(giv, mid2) == 0));
	} else {
		mid = PICK(r, middle_m);
		do
			giv = PICK(r, given_m);
		while (strcmp(giv, mid) == 0);
	}
	return mid2 != NULL ? g_strdup_printf("%s %s %s %s", fam, mid, mid2, giv)
	                    : g_strdup_printf("%s %s %s", fam, mid, giv);
}

/* "Nguyễn Văn An" -> "nguyen.van.an": marks dropped after canonical
 * decomposition, đ/Đ -> d (it has no decomposition), words joined by '.' */
static char *gen_ascii_local(const char *name)
{
	char *nfd = g_utf8_normalize(name, -1, G_NORMALIZE_NFD);
	GString *g = g_string_new(NULL);

	for (const char *p = nfd; p != NULL && *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c == 0x0111 || c == 0x0110)
			c = 'd';
		if (c == ' ') {
			if (g->len > 0 && g->str[g->len - 1] != '.')
				g_string_append_c(g, '.');
		} else if (c < 0x80 && g_ascii_isalnum((char)c)) {
			g_string_append_c(g, g_ascii_tolower((char)c));
		}
	}
	while (g->len > 0 && g->str[g->len - 1] == '.')
		g_string_truncate(g, g->len - 1);
	g_free(nfd);
	return g_string_free(g, FALSE);
}

/* ---- units ---- */

struct dept {
	const char *head, *deputy; /* "Trưởng phòng Kế hoạch – Tài chính" */
	const char *titles[4];     /* of its officers; NULL-terminated */
	uint32_t weight;           /* share of the officers */
	bool it;                   /* its head owns the unit's servers */
};

static const struct dept province_depts[] = {
        {"Chánh Văn phòng",
         "Phó Chánh Văn phòng",
         {"Văn thư", "Chuyên viên Văn phòng", "Thủ quỹ", "Lái xe"},
         10,
         false},
        {"Trưởng phòng Công nghệ thông tin",
         "Phó Trưởng phòng Công nghệ thông tin",
         {"Chuyên viên CNTT", "Kỹ thuật viên CNTT", NULL},
         5,
         true},
        {"Trưởng phòng Quản lý Thu – Sổ, thẻ",
         "Phó Trưởng phòng Quản lý Thu – Sổ, thẻ",
         {"Chuyên viên phòng Thu – Sổ, thẻ", "Cán bộ thu", "Chuyên viên cấp sổ, thẻ", NULL},
         20,
         false},
        {"Trưởng phòng Chế độ BHXH",
         "Phó Trưởng phòng Chế độ BHXH",
         {"Chuyên viên phòng Chế độ BHXH", "Chuyên viên xét duyệt chế độ", NULL},
         16,
         false},
        {"Trưởng phòng Giám định BHYT",
         "Phó Trưởng phòng Giám định BHYT",
         {"Giám định viên BHYT", "Chuyên viên phòng Giám định BHYT", NULL},
         16,
         false},
        {"Trưởng phòng Kế hoạch – Tài chính",
         "Phó Trưởng phòng Kế hoạch – Tài chính",
         {"Kế toán", "Kế toán viên", "Chuyên viên phòng Kế hoạch – Tài chính", NULL},
         12,
         false},
        {"Trưởng phòng Thanh tra – Kiểm tra",
         "Phó Trưởng phòng Thanh tra – Kiểm tra",
         {"Thanh tra viên", "Chuyên viên phòng Thanh tra – Kiểm tra", NULL},
         6,
         false},
        {"Trưởng phòng Truyền thông và Phát triển đối tượng",
         "Phó Trưởng phòng Truyền thông và Phát triển đối tượng",
         {"Chuyên viên phòng Truyền thông và Phát triển đối tượng", NULL},
         6,
         false},
        {"Trưởng phòng Tổ chức cán bộ",
         "Phó Trưởng phòng Tổ chức cán bộ",
         {"Chuyên viên phòng Tổ chức cán bộ", NULL},
         4,
         false},
        {"Trưởng Bộ phận Tiếp nhận và Trả kết quả",
         "Phó Trưởng Bộ phận Tiếp nhận và Trả kết quả",
         {"Chuyên viên tiếp nhận hồ sơ", "Chuyên viên trả kết quả", NULL},
         10,
         false},
};

static const struct dept cntt_depts[] = {
        {"Trưởng phòng Hành chính – Tổng hợp",
         "Phó Trưởng phòng Hành chính – Tổng hợp",
         {"Văn thư", "Chuyên viên phòng Hành chính – Tổng hợp", "Kế toán", NULL},
         8,
         false},
        {"Trưởng phòng Quản trị hệ thống",
         "Phó Trưởng phòng Quản trị hệ thống",
         {"Quản trị hệ thống", "Quản trị mạng", "Quản trị cơ sở dữ liệu", NULL},
         20,
         true},
        {"Trưởng phòng An toàn thông tin",
         "Phó Trưởng phòng An toàn thông tin",
         {"Chuyên viên an toàn thông tin", "Chuyên viên giám sát an toàn thông tin", NULL},
         14,
         false},
        {"Trưởng phòng Phát triển phần mềm",
         "Phó Trưởng phòng Phát triển phần mềm",
         {"Chuyên viên phát triển phần mềm", "Lập trình viên", "Chuyên viên kiểm thử", NULL},
         24,
         false},
        {"Trưởng phòng Hỗ trợ người dùng",
         "Phó Trưởng phòng Hỗ trợ người dùng",
         {"Chuyên viên hỗ trợ người dùng", NULL},
         14,
         false},
        {"Trưởng phòng Quản lý dữ liệu",
         "Phó Trưởng phòng Quản lý dữ liệu",
         {"Chuyên viên quản lý dữ liệu", "Chuyên viên phân tích dữ liệu", NULL},
         10,
         false},
};

static const struct dept vp_depts[] = {
        {"Trưởng phòng Hành chính",
         "Phó Trưởng phòng Hành chính",
         {"Văn thư", "Chuyên viên phòng Hành chính", "Lái xe", NULL},
         12,
         false},
        {"Trưởng phòng Văn thư – Lưu trữ",
         "Phó Trưởng phòng Văn thư – Lưu trữ",
         {"Văn thư", "Lưu trữ viên", NULL},
         8,
         false},
        {"Trưởng phòng Tổng hợp",
         "Phó Trưởng phòng Tổng hợp",
         {"Chuyên viên tổng hợp", NULL},
         8,
         false},
        {"Trưởng phòng Quản trị",
         "Phó Trưởng phòng Quản trị",
         {"Chuyên viên quản trị tài sản", "Thủ quỹ", "Kỹ thuật viên CNTT", NULL},
         8,
         true},
};

/* departments of the Ban/Vụ: a handful of rooms of specialists */
static const struct dept ban_depts[] = {
        {"Trưởng phòng Tổng hợp",
         "Phó Trưởng phòng Tổng hợp",
         {"Chuyên viên", "Văn thư", NULL},
         6,
         true},
        {"Trưởng phòng Nghiệp vụ 1",
         "Phó Trưởng phòng Nghiệp vụ 1",
         {"Chuyên viên", NULL},
         10,
         false},
        {"Trưởng phòng Nghiệp vụ 2",
         "Phó Trưởng phòng Nghiệp vụ 2",
         {"Chuyên viên", NULL},
         10,
         false},
};

static const struct dept tckt_depts[] = {
        {"Trưởng phòng Tổng hợp",
         "Phó Trưởng phòng Tổng hợp",
         {"Chuyên viên", "Văn thư", NULL},
         6,
         true},
        {"Trưởng phòng Kế toán",
         "Phó Trưởng phòng Kế toán",
         {"Kế toán viên", "Kế toán", NULL},
         14,
         false},
        {"Trưởng phòng Quản lý quỹ",
         "Phó Trưởng phòng Quản lý quỹ",
         {"Chuyên viên quản lý quỹ", "Thủ quỹ", NULL},
         8,
         false},
};

static const struct dept ttgd_depts[] = {
        {"Trưởng phòng Hành chính – Tổng hợp",
         "Phó Trưởng phòng Hành chính – Tổng hợp",
         {"Văn thư", "Chuyên viên", "Kỹ thuật viên CNTT", NULL},
         6,
         true},
        {"Trưởng phòng Giám định đa tuyến",
         "Phó Trưởng phòng Giám định đa tuyến",
         {"Giám định viên BHYT", NULL},
         20,
         false},
        {"Trưởng phòng Thanh toán đa tuyến",
         "Phó Trưởng phòng Thanh toán đa tuyến",
         {"Chuyên viên thanh toán", "Kế toán", NULL},
         12,
         false},
};

struct unitdef {
	const char *id, *code; /* code: of its host names */
	const char *name, *short_name;
	const char *city;
	enum region region;
	uint32_t weight; /* central: its staff at 20,000; provinces: population (thousands) */
	const char *head, *deputy; /* "Giám đốc", "Phó Giám đốc" */
	const struct dept *depts;
	size_t ndepts;
	const char *servers[8]; /* roles of its servers */
};

#define DEPTS(a) a, N(a)
#define PROV_SERVERS                                                                               \
	{                                                                                          \
		"DC", "FS", "APP", "BAK", NULL                                                     \
	}

static const struct unitdef central_units[] = {
        {"cntt",
         "CNTT",
         "Trung tâm Công nghệ thông tin",
         "Trung tâm CNTT",
         "Hà Nội",
         R_NATIONAL,
         160,
         "Giám đốc Trung tâm",
         "Phó Giám đốc Trung tâm",
         DEPTS(cntt_depts),
         {"DC", "MAIL", "MX", "WEB", "DB", "APP", "SIEM", "BAK"}},
        {"vp",
         "VP",
         "Văn phòng Bảo hiểm xã hội Việt Nam",
         "Văn phòng BHXH Việt Nam",
         "Hà Nội",
         R_NATIONAL,
         140,
         "Chánh Văn phòng",
         "Phó Chánh Văn phòng",
         DEPTS(vp_depts),
         {"FS", "APP", NULL}},
        {"ban-thu",
         "BTHU",
         "Ban Quản lý Thu – Sổ, thẻ",
         "Ban Thu – Sổ, thẻ",
         "Hà Nội",
         R_NATIONAL,
         70,
         "Trưởng ban",
         "Phó Trưởng ban",
         DEPTS(ban_depts),
         {"FS", NULL}},
        {"ban-csxh",
         "BCSXH",
         "Ban Thực hiện chính sách bảo hiểm xã hội",
         "Ban Chính sách BHXH",
         "Hà Nội",
         R_NATIONAL,
         60,
         "Trưởng ban",
         "Phó Trưởng ban",
         DEPTS(ban_depts),
         {"FS", NULL}},
        {"ban-csyt",
         "BCSYT",
         "Ban Thực hiện chính sách bảo hiểm y tế",
         "Ban Chính sách BHYT",
         "Hà Nội",
         R_NATIONAL,
         60,
         "Trưởng ban",
         "Phó Trưởng ban",
         DEPTS(ban_depts),
         {"FS", NULL}},
        {"vu-tckt",
         "VTCKT",
         "Vụ Tài chính – Kế toán",
         "Vụ Tài chính – Kế toán",
         "Hà Nội",
         R_NATIONAL,
         70,
         "Vụ trưởng",
         "Phó Vụ trưởng",
         DEPTS(tckt_depts),
         {"FS", "APP", NULL}},
        {"ttgd",
         "TTGD",
         "Trung tâm Giám định bảo hiểm y tế và Thanh toán đa tuyến",
         "Trung tâm Giám định BHYT",
         "Hà Nội",
         R_NATIONAL,
         120,
         "Giám đốc Trung tâm",
         "Phó Giám đốc Trung tâm",
         DEPTS(ttgd_depts),
         {"FS", "APP", "DB", NULL}},
        {"vu-ttkt",
         "VTTKT",
         "Vụ Thanh tra – Kiểm tra",
         "Vụ Thanh tra – Kiểm tra",
         "Hà Nội",
         R_NATIONAL,
         50,
         "Vụ trưởng",
         "Phó Vụ trưởng",
         DEPTS(ban_depts),
         {"FS", NULL}},
};

#define CENTRAL_AT_20000 730 /* the central units' weights above */

/* The 63 provinces and centrally-run cities before the 2025 merger: id,
 * host code, name, provincial capital, population in thousands (about
 * 2023). cities[] say which are "thành phố". */
struct province {
	const char *id, *code, *name, *capital;
	enum region region;
	uint32_t pop;
	bool city;
};

static const struct province provinces[] = {
        /* North: Red River Delta, Northeast, Northwest */
        {"hanoi", "HNI", "Hà Nội", "Hà Nội", R_NORTH, 8436, true},
        {"haiphong", "HPG", "Hải Phòng", "Hải Phòng", R_NORTH, 2088, true},
        {"quangninh", "QNH", "Quảng Ninh", "Hạ Long", R_NORTH, 1362, false},
        {"haiduong", "HDG", "Hải Dương", "Hải Dương", R_NORTH, 1946, false},
        {"hungyen", "HYN", "Hưng Yên", "Hưng Yên", R_NORTH, 1290, false},
        {"bacninh", "BNH", "Bắc Ninh", "Bắc Ninh", R_NORTH, 1488, false},
        {"vinhphuc", "VPC", "Vĩnh Phúc", "Vĩnh Yên", R_NORTH, 1197, false},
        {"thaibinh", "TBH", "Thái Bình", "Thái Bình", R_NORTH, 1878, false},
        {"namdinh", "NDH", "Nam Định", "Nam Định", R_NORTH, 1876, false},
        {"hanam", "HNM", "Hà Nam", "Phủ Lý", R_NORTH, 878, false},
        {"ninhbinh", "NBH", "Ninh Bình", "Ninh Bình", R_NORTH, 1010, false},
        {"hagiang", "HGG", "Hà Giang", "Hà Giang", R_NORTH, 899, false},
        {"caobang", "CBG", "Cao Bằng", "Cao Bằng", R_NORTH, 543, false},
        {"backan", "BKN", "Bắc Kạn", "Bắc Kạn", R_NORTH, 324, false},
        {"tuyenquang", "TQG", "Tuyên Quang", "Tuyên Quang", R_NORTH, 805, false},
        {"laocai", "LCI", "Lào Cai", "Lào Cai", R_NORTH, 770, false},
        {"yenbai", "YBI", "Yên Bái", "Yên Bái", R_NORTH, 841, false},
        {"thainguyen", "TNN", "Thái Nguyên", "Thái Nguyên", R_NORTH, 1335, false},
        {"langson", "LSN", "Lạng Sơn", "Lạng Sơn", R_NORTH, 802, false},
        {"bacgiang", "BGG", "Bắc Giang", "Bắc Giang", R_NORTH, 1922, false},
        {"phutho", "PTO", "Phú Thọ", "Việt Trì", R_NORTH, 1516, false},
        {"dienbien", "DBN", "Điện Biên", "Điện Biên Phủ", R_NORTH, 640, false},
        {"laichau", "LCU", "Lai Châu", "Lai Châu", R_NORTH, 482, false},
        {"sonla", "SLA", "Sơn La", "Sơn La", R_NORTH, 1300, false},
        {"hoabinh", "HBH", "Hòa Bình", "Hòa Bình", R_NORTH, 875, false},
        /* Central and Highlands: North Central, South Central Coast, Central Highlands */
        {"thanhhoa", "THA", "Thanh Hóa", "Thanh Hóa", R_CENTRAL, 3722, false},
        {"nghean", "NAN", "Nghệ An", "Vinh", R_CENTRAL, 3419, false},
        {"hatinh", "HTH", "Hà Tĩnh", "Hà Tĩnh", R_CENTRAL, 1323, false},
        {"quangbinh", "QBH", "Quảng Bình", "Đồng Hới", R_CENTRAL, 916, false},
        {"quangtri", "QTI", "Quảng Trị", "Đông Hà", R_CENTRAL, 650, false},
        {"hue", "HUE", "Huế", "Huế", R_CENTRAL, 1160, true},
        {"danang", "DNG", "Đà Nẵng", "Đà Nẵng", R_CENTRAL, 1220, true},
        {"quangnam", "QNM", "Quảng Nam", "Tam Kỳ", R_CENTRAL, 1519, false},
        {"quangngai", "QNI", "Quảng Ngãi", "Quảng Ngãi", R_CENTRAL, 1248, false},
        {"binhdinh", "BDH", "Bình Định", "Quy Nhơn", R_CENTRAL, 1505, false},
        {"phuyen", "PYN", "Phú Yên", "Tuy Hòa", R_CENTRAL, 877, false},
        {"khanhhoa", "KHA", "Khánh Hòa", "Nha Trang", R_CENTRAL, 1253, false},
        {"ninhthuan", "NTN", "Ninh Thuận", "Phan Rang – Tháp Chàm", R_CENTRAL, 596, false},
        {"binhthuan", "BTN", "Bình Thuận", "Phan Thiết", R_CENTRAL, 1252, false},
        {"kontum", "KTM", "Kon Tum", "Kon Tum", R_CENTRAL, 580, false},
        {"gialai", "GLI", "Gia Lai", "Pleiku", R_CENTRAL, 1590, false},
        {"daklak", "DLK", "Đắk Lắk", "Buôn Ma Thuột", R_CENTRAL, 1918, false},
        {"daknong", "DKN", "Đắk Nông", "Gia Nghĩa", R_CENTRAL, 670, false},
        {"lamdong", "LDG", "Lâm Đồng", "Đà Lạt", R_CENTRAL, 1332, false},
        /* South: Southeast, Mekong Delta */
        {"hcm", "HCM", "Hồ Chí Minh", "TP. Hồ Chí Minh", R_SOUTH, 9389, true},
        {"binhduong", "BDG", "Bình Dương", "Thủ Dầu Một", R_SOUTH, 2763, false},
        {"dongnai", "DNI", "Đồng Nai", "Biên Hòa", R_SOUTH, 3255, false},
        {"bariavungtau", "BRV", "Bà Rịa – Vũng Tàu", "Bà Rịa", R_SOUTH, 1187, false},
        {"binhphuoc", "BPC", "Bình Phước", "Đồng Xoài", R_SOUTH, 1024, false},
        {"tayninh", "TNH", "Tây Ninh", "Tây Ninh", R_SOUTH, 1188, false},
        {"longan", "LAN", "Long An", "Tân An", R_SOUTH, 1734, false},
        {"tiengiang", "TGG", "Tiền Giang", "Mỹ Tho", R_SOUTH, 1790, false},
        {"bentre", "BTE", "Bến Tre", "Bến Tre", R_SOUTH, 1298, false},
        {"travinh", "TVH", "Trà Vinh", "Trà Vinh", R_SOUTH, 1019, false},
        {"vinhlong", "VLG", "Vĩnh Long", "Vĩnh Long", R_SOUTH, 1028, false},
        {"dongthap", "DTP", "Đồng Tháp", "Cao Lãnh", R_SOUTH, 1600, false},
        {"angiang", "AGG", "An Giang", "Long Xuyên", R_SOUTH, 1906, false},
        {"kiengiang", "KGG", "Kiên Giang", "Rạch Giá", R_SOUTH, 1753, false},
        {"cantho", "CTO", "Cần Thơ", "Cần Thơ", R_SOUTH, 1252, true},
        {"haugiang", "HGI", "Hậu Giang", "Vị Thanh", R_SOUTH, 728, false},
        {"soctrang", "STG", "Sóc Trăng", "Sóc Trăng", R_SOUTH, 1200, false},
        {"baclieu", "BLU", "Bạc Liêu", "Bạc Liêu", R_SOUTH, 923, false},
        {"camau", "CMU", "Cà Mau", "Cà Mau", R_SOUTH, 1195, false},
};

_Static_assert(N(provinces) == 63, "the 63 provinces and cities before the 2025 merger");

static const struct {
	const char *id, *vi, *en;
} regions[] = {
        [R_NATIONAL] = {"national", "Cơ quan Trung ương", "Central agency"},
        [R_NORTH] = {"north", "Miền Bắc", "North"},
        [R_CENTRAL] = {"central-highlands", "Miền Trung – Tây Nguyên", "Central and Highlands"},
        [R_SOUTH] = {"south", "Miền Nam", "South"},
};

/* the IT Centre's first people: scripts/stack/org.py's, same mailboxes */
static const struct {
	const char *name, *title;
} stack_people[] = {
        {"Nguyễn Văn An", "Giám đốc Trung tâm"},
        {"Trần Thị Bình", "Quản trị hệ thống thư điện tử"},
        {"Lê Hoàng Cường", "Chuyên viên an toàn thông tin"},
        {"Phạm Thu Dung", "Chuyên viên an toàn thông tin"},
        {"Hoàng Minh Đức", "Quản trị mạng"},
        {"Vũ Thị Hà", "Chuyên viên phát triển phần mềm"},
        {"Đặng Quốc Huy", "Chuyên viên hỗ trợ người dùng"},
        {"Bùi Thị Lan", "Văn thư"},
};

static const struct {
	const char *id, *name, *owner;
} systems[] = {
        {"tst", "Hệ thống Thu – Sổ thẻ", "cntt"},
        {"gdbhyt", "Hệ thống thông tin giám định bảo hiểm y tế", "ttgd"},
        {"ttdt", "Hệ thống thanh toán đa tuyến bảo hiểm y tế", "ttgd"},
        {"xdcd", "Hệ thống xét duyệt chế độ bảo hiểm xã hội", "ban-csxh"},
        {"chitra", "Hệ thống quản lý chi trả các chế độ bảo hiểm xã hội", "vu-tckt"},
        {"ketoan", "Phần mềm kế toán tập trung", "vu-tckt"},
        {"quy", "Hệ thống quản lý quỹ bảo hiểm", "vu-tckt"},
        {"vpdt", "Hệ thống văn phòng điện tử (eOffice)", "vp"},
        {"dvc", "Cổng Dịch vụ công Bảo hiểm xã hội Việt Nam", "cntt"},
        {"gddt", "Cổng giao dịch điện tử bảo hiểm xã hội", "cntt"},
        {"ivan", "Hệ thống tiếp nhận hồ sơ điện tử qua tổ chức I-VAN", "cntt"},
        {"vssid", "Ứng dụng VssID – Bảo hiểm xã hội số", "cntt"},
        {"csdlqg", "Cơ sở dữ liệu quốc gia về bảo hiểm", "cntt"},
        {"hgd", "Hệ thống quản lý hộ gia đình tham gia bảo hiểm y tế", "ban-thu"},
        {"thuno", "Hệ thống quản lý thu nợ và phát triển đối tượng", "ban-thu"},
        {"lienthong", "Hệ thống liên thông khai sinh – cấp thẻ bảo hiểm y tế trẻ em", "ban-thu"},
        {"bhtn", "Hệ thống quản lý bảo hiểm thất nghiệp", "ban-csxh"},
        {"dmthuoc", "Hệ thống quản lý danh mục thuốc, vật tư y tế", "ban-csyt"},
        {"hsyt", "Hệ thống tiếp nhận dữ liệu khám chữa bệnh bảo hiểm y tế", "ban-csyt"},
        {"tthtkt", "Hệ thống quản lý thanh tra, kiểm tra", "vu-ttkt"},
        {"tccb", "Hệ thống quản lý hồ sơ cán bộ", "vp"},
        {"luutru", "Hệ thống lưu trữ hồ sơ điện tử", "vp"},
        {"tongdai", "Tổng đài chăm sóc khách hàng", "vp"},
        {"mail", "Hệ thống thư điện tử", "cntt"},
        {"khodl", "Kho dữ liệu và báo cáo thống kê", "cntt"},
        {"cks", "Hệ thống chữ ký số và xác thực tập trung", "cntt"},
};

_Static_assert(N(systems) == 26, "the 26 application systems");

static const struct wname os_pc[] = {
        {"Windows 10 Pro", 520}, {"Windows 11 Pro", 400},  {"Windows 7 Professional", 40},
        {"Windows 8.1 Pro", 20}, {"Ubuntu 22.04 LTS", 20},
};
static const struct wname os_laptop[] = {
        {"Windows 11 Pro", 700},
        {"Windows 10 Pro", 250},
        {"macOS 14", 50},
};
static const struct wname os_server[] = {
        {"Windows Server 2019", 35},       {"Windows Server 2022", 30},
        {"Ubuntu 22.04 LTS", 15},          {"Red Hat Enterprise Linux 8", 12},
        {"Red Hat Enterprise Linux 9", 8},
};

/* ---- the generator ---- */

struct gen {
	struct rng rng;
	org *o;
	const char *domain;
	GHashTable *locals; /* ascii local part -> count (GUINT_TO_POINTER) */
	size_t next_staff;  /* s000001 … */
	org_error *err;
};

/* per unit while it is filled */
struct ustate {
	const struct unitdef *def;
	const char *id, *code;
	enum region region;
	unsigned number; /* N of 10.N.0.0/16 */
	char *it_owner;  /* staff id owning its servers */
	char *clerk;     /* its văn thư's address, or NULL */
	unsigned pcs, laptops;
};

static org_err add_json(struct gen *g, org_kind k, json_t *item)
{
	org_err rc = org_add(g->o, k, item, g->err);

	json_decref(item);
	return rc;
}

static char *mailbox(struct gen *g, const char *name)
{
	char *local = gen_ascii_local(name), *addr;
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(g->locals, local)) + 1;

	g_hash_table_replace(g->locals, g_strdup(local), GUINT_TO_POINTER(n));
	addr = n > 1 ? g_strdup_printf("%s%u@%s", local, n, g->domain)
	             : g_strdup_printf("%s@%s", local, g->domain);
	g_free(local);
	return addr;
}

static bool is_leader(const char *title)
{
	return g_str_has_prefix(title, "Giám đốc") || g_str_has_prefix(title, "Phó ") ||
	       g_str_has_prefix(title, "Trưởng") || g_str_has_prefix(title, "Chánh") ||
	       g_str_has_prefix(title, "Vụ trưởng");
}

/* one endpoint of u owned by owner; kind "PC", "LT" or a server role */
static org_err add_endpoint(struct gen *g, struct ustate *u, const char *owner, const char *kind,
                            unsigned nth, int server_slot)
{
	char host[64], ip[32];
	unsigned client;
	const char *os;

	if (server_slot >= 0) {
		g_snprintf(host, sizeof host, "%s-%s-%02u", u->code, kind, nth);
		g_snprintf(ip, sizeof ip, "10.%u.1.%d", u->number, 10 + server_slot);
		os = PICK(&g->rng, os_server);
	} else {
		client = u->pcs + u->laptops - 1; /* counted already */
		g_snprintf(host, sizeof host, "%s-%s-%05u", u->code, kind, nth);
		/* 240 subnets of 250 clients per unit: more than the largest unit needs */
		if (client >= 240 * 250)
			return ORG_ERR_LIMIT;
		g_snprintf(ip, sizeof ip, "10.%u.%u.%u", u->number, 16 + client / 250,
		           1 + client % 250);
		os = strcmp(kind, "PC") == 0 ? PICK(&g->rng, os_pc) : PICK(&g->rng, os_laptop);
	}
	return add_json(g, ORG_ENDPOINT,
	                json_pack("{s:s, s:s, s:s, s:s, s:s}", "host", host, "owner", owner, "unit",
	                          u->id, "os", os, "ip", ip));
}

static org_err add_person(struct gen *g, struct ustate *u, const char *name, const char *title,
                          bool it_head)
{
	char id[16];
	char *email = mailbox(g, name);
	org_err rc;

	g_snprintf(id, sizeof id, "s%06zu", ++g->next_staff);
	rc = add_json(g, ORG_STAFF,
	              json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "name", name, "email", email,
	                        "unit", u->id, "title", title));
	if (rc == ORG_OK && (it_head || u->it_owner == NULL)) {
		/* the director until the IT head comes */
		g_free(u->it_owner);
		u->it_owner = g_strdup(id);
	}
	if (rc == ORG_OK && strcmp(title, "Văn thư") == 0 && u->clerk == NULL)
		u->clerk = g_strdup(email);
	if (rc == ORG_OK) {
		rc = add_endpoint(g, u, id, "PC", ++u->pcs, -1);
		if (rc == ORG_OK && (is_leader(title) || rng_pct(&g->rng, 20)))
			rc = add_endpoint(g, u, id, "LT", ++u->laptops, -1);
	}
	g_free(email);
	return rc;
}

static org_err add_random_person(struct gen *g, struct ustate *u, const char *title, bool it_head)
{
	char *name = gen_name(&g->rng, u->region, rng_pct(&g->rng, 58));
	org_err rc = add_person(g, u, name, title, it_head);

	g_free(name);
	return rc;
}

/* the staff of one unit: n people */
static org_err fill_unit(struct gen *g, struct ustate *u, size_t n)
{
	const struct unitdef *d = u->def;
	size_t done = 0, depts, deputies;
	size_t start = 0;
	org_err rc = ORG_OK;
	uint32_t wsum = 0;

	if (strcmp(u->id, "cntt") == 0) {
		for (; start < N(stack_people) && done < n; start++, done++) {
			rc = add_person(g, u, stack_people[start].name, stack_people[start].title,
			                false);
			if (rc != ORG_OK)
				return rc;
		}
	} else {
		rc = add_random_person(g, u, d->head, false);
		done++;
	}
	/* deputies, then a head per department while people last, then their
	 * deputies in large units, then officers by department weight */
	deputies = n >= 300 ? 3 : n >= 40 ? 2 : n >= 8 ? 1 : 0;
	for (size_t i = 0; i < deputies && done < n && rc == ORG_OK; i++, done++)
		rc = add_random_person(g, u, d->deputy, false);
	depts = d->ndepts;
	if (n < 12 * depts)
		depts = n / 12 > 0 ? n / 12 : 1;
	for (size_t i = 0; i < depts && done < n && rc == ORG_OK; i++, done++)
		rc = add_random_person(g, u, d->depts[i].head, d->depts[i].it);
	for (size_t i = 0; i < depts && n >= 120 && done < n && rc == ORG_OK; i++, done++)
		rc = add_random_person(g, u, d->depts[i].deputy, false);
	for (size_t i = 0; i < depts; i++)
		wsum += d->depts[i].weight;
	while (done < n && rc == ORG_OK) {
		uint32_t x = rng_below(&g->rng, wsum);
		size_t i = 0, nt = 0;
		const struct dept *dp;

		while (x >= d->depts[i].weight) {
			x -= d->depts[i].weight;
			i++;
		}
		dp = &d->depts[i];
		while (nt < N(dp->titles) && dp->titles[nt] != NULL)
			nt++;
		rc = add_random_person(g, u, dp->titles[rng_below(&g->rng, (uint32_t)nt)], false);
		done++;
	}
	for (unsigned i = 0; i < N(d->servers) && d->servers[i] != NULL && rc == ORG_OK; i++)
		rc = add_endpoint(g, u, u->it_owner, d->servers[i], 1, (int)i);
	return rc;
}

/* n people over units of these weights: largest remainders, at least one each */
static size_t *apportion(const uint64_t *w, size_t units, size_t n)
{
	size_t *out = g_new0(size_t, units), given = 0;
	uint64_t total = 0, *rem = g_new0(uint64_t, units);

	for (size_t i = 0; i < units; i++)
		total += w[i];
	for (size_t i = 0; i < units; i++) {
		uint64_t q = (uint64_t)n * w[i];

		out[i] = (size_t)(q / total);
		rem[i] = q % total;
		if (out[i] == 0) {
			out[i] = 1;
			rem[i] = 0;
		}
		given += out[i];
	}
	while (given < n) { /* the largest remainder first, the first unit on ties */
		size_t best = 0;

		for (size_t i = 1; i < units; i++)
			if (rem[i] > rem[best])
				best = i;
		out[best]++;
		rem[best] = 0;
		given++;
	}
	while (given > n) { /* the minimum of one overshot: take from the largest */
		size_t big = 0;

		for (size_t i = 1; i < units; i++)
			if (out[i] > out[big])
				big = i;
		out[big]--;
		given--;
	}
	g_free(rem);
	return out;
}

void org_gen_defaults(org_gen_params *p)
{
	p->staff = ORG_GEN_DEFAULT_STAFF;
	p->domain = ORG_GEN_DEFAULT_DOMAIN;
	p->organisation = "Bảo hiểm xã hội Việt Nam";
}

org_err org_generate(uint64_t seed, const org_gen_params *p, org **out, org_error *err)
{
	const size_t nunits = N(central_units) + N(provinces);
	struct gen g = {0};
	struct ustate *us = g_new0(struct ustate, nunits);
	struct unitdef *pdefs = g_new0(struct unitdef, N(provinces));
	char **pnames = g_new0(char *, 2 * N(provinces));
	uint64_t *w = g_new0(uint64_t, nunits), pop = 0;
	size_t *quota = NULL;
	org_err rc;
	org_error local;

	*out = NULL;
	if (err == NULL)
		err = &local;
	g.err = err;
	if (p->staff < ORG_GEN_MIN_STAFF || p->staff > ORG_MAX_STAFF) {
		char d[64];

		g_snprintf(d, sizeof d, "%d to %d", ORG_GEN_MIN_STAFF, ORG_MAX_STAFF);
		rc = org_error_set(err, ORG_ERR_LIMIT, "staff", NULL, "out of range; the range is",
		                   d);
		goto out;
	}
	rc = org_new(p->organisation, p->domain, &g.o, err);
	if (rc != ORG_OK)
		goto out;
	rng_seed(&g.rng, seed);
	g.domain = p->domain;
	g.locals = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (size_t i = 0; i < N(regions) && rc == ORG_OK; i++)
		rc = add_json(&g, ORG_REGION,
		              json_pack("{s:s, s:s, s:s}", "id", regions[i].id, "name_vi",
		                        regions[i].vi, "name_en", regions[i].en));
	for (size_t i = 0; i < N(provinces); i++)
		pop += provinces[i].pop;
	for (size_t i = 0; i < nunits && rc == ORG_OK; i++) {
		const struct unitdef *d;

		if (i < N(central_units)) {
			d = &central_units[i];
			/* central: fixed shares of a 20,000 organisation */
			w[i] = (uint64_t)d->weight * 1000000;
		} else {
			const struct province *pr = &provinces[i - N(central_units)];
			struct unitdef *pd = &pdefs[i - N(central_units)];
			char **nm = &pnames[2 * (i - N(central_units))];

			nm[0] = g_strdup_printf("Bảo hiểm xã hội %s%s",
			                        strcmp(pr->id, "hcm") == 0 ? "Thành phố "
			                        : pr->city                 ? "thành phố "
			                                                   : "tỉnh ",
			                        pr->name);
			nm[1] = g_strdup_printf("BHXH %s%s",
			                        strcmp(pr->id, "hcm") == 0 ? "TP. " : "", pr->name);
			*pd = (struct unitdef){pr->id,         pr->code,
			                       nm[0],          nm[1],
			                       pr->capital,    pr->region,
			                       pr->pop,        "Giám đốc",
			                       "Phó Giám đốc", DEPTS(province_depts),
			                       PROV_SERVERS};
			d = pd;
			/* the rest by a base per province plus its population */
			w[i] = ((uint64_t)(20000 - CENTRAL_AT_20000) * 1000000 / N(provinces)) / 2 +
			       ((uint64_t)(20000 - CENTRAL_AT_20000) * 1000000 / 2) * pr->pop / pop;
		}
		us[i].def = d;
		us[i].id = d->id;
		us[i].code = d->code;
		us[i].region = d->region;
		us[i].number = (unsigned)i + 1;
		rc = add_json(&g, ORG_UNIT,
		              json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", d->id, "name",
		                        d->name, "short", d->short_name, "kind",
		                        i < N(central_units) ? "central" : "province", "region",
		                        regions[d->region].id, "city", d->city));
	}
	quota = apportion(w, nunits, p->staff);
	for (size_t i = 0; i < nunits && rc == ORG_OK; i++)
		rc = fill_unit(&g, &us[i], quota[i]);
	for (size_t i = 0; i < N(systems) && rc == ORG_OK; i++)
		rc = add_json(&g, ORG_SYSTEM,
		              json_pack("{s:s, s:s, s:s}", "id", systems[i].id, "name",
		                        systems[i].name, "owner_unit", systems[i].owner));
	if (rc == ORG_OK) {
		/* role addresses: the IT Centre's mail administrator and helpdesk */
		const org_staff *admin = org_staff_at(g.o, 1), *help = org_staff_at(g.o, 6);
		const char *roles[] = {"postmaster", "abuse", "security", "helpdesk"};

		for (size_t i = 0; i < N(roles) && rc == ORG_OK; i++) {
			char *a = g_strdup_printf("%s@%s", roles[i], g.domain);

			rc = org_alias_set(g.o, a,
			                   i < 3 || help == NULL ? admin->email : help->email, err);
			g_free(a);
		}
		for (size_t i = 0; i < nunits && rc == ORG_OK; i++) {
			char *a = g_strdup_printf("vanthu.%s@%s", us[i].id, g.domain);
			const org_staff *head = NULL;

			if (us[i].clerk == NULL) {
				/* no văn thư: the unit's first person */
				for (size_t j = 0; j < org_count(g.o, ORG_STAFF) && head == NULL;
				     j++)
					if (strcmp(org_staff_at(g.o, j)->unit, us[i].id) == 0)
						head = org_staff_at(g.o, j);
			}
			rc = org_alias_set(g.o, a, us[i].clerk ? us[i].clerk : head->email, err);
			g_free(a);
		}
	}
	if (rc == ORG_OK) {
		*out = g.o;
		g.o = NULL;
	}
out:
	for (size_t i = 0; i < nunits; i++) {
		g_free(us[i].it_owner);
		g_free(us[i].clerk);
	}
	for (size_t i = 0; i < 2 * N(provinces); i++)
		g_free(pnames[i]);
	g_free(pnames);
	g_free(pdefs);
	g_free(us);
	g_free(w);
	g_free(quota);
	if (g.locals != NULL)
		g_hash_table_destroy(g.locals);
	org_free(g.o);
	return rc;
}
