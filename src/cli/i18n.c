/*
 * i18n.c - the command line's messages in English and Vietnamese.
 *
 * Messages are looked up by their English text; a missing translation falls
 * back to English. The language comes from --lang, else VIGIL_LANG, else
 * LANG/LC_ALL/LC_MESSAGES starting with "vi".
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static vigil_lang lang = VIGIL_LANG_EN;

static const char *const table[][2] = {
        {"clean", "sạch"},
        {"suspicious", "đáng ngờ"},
        {"malicious", "độc hại"},
        {"CLEAN", "SẠCH"},
        {"SUSPICIOUS", "ĐÁNG NGỜ"},
        {"MALICIOUS", "ĐỘC HẠI"},
        {"score", "điểm"},
        {"objects", "đối tượng"},
        {"error", "lỗi"},
        {"cannot read", "không đọc được"},
        {"cannot open", "không mở được"},
        {"scanned", "đã quét"},
        {"inputs", "đầu vào"},
        {"found", "phát hiện"},
        {"errors", "lỗi"},
        {"Scan summary", "Tổng kết quét"},
        {"clean inputs", "đầu vào sạch"},
        {"suspicious inputs", "đầu vào đáng ngờ"},
        {"malicious inputs", "đầu vào độc hại"},
        {"time", "thời gian"},
        {"rules failed to load; fix the rule files or run without --rules",
         "không nạp được luật; hãy sửa tệp luật hoặc chạy không có --rules"},
        {"indicators failed to load; fix the lines shown above",
         "không nạp được danh sách chỉ dấu; hãy sửa các dòng nêu trên"},
        {"wrote", "đã ghi"},
        {"objects to", "đối tượng vào"},
        {"manifest", "bảng kê"},
        {"the output folder must be empty or not exist yet",
         "thư mục đầu ra phải trống hoặc chưa tồn tại"},
        {"no input given; try --help", "chưa chỉ định đầu vào; xem --help"},
        {"unknown command; try: vigil --help", "lệnh không xác định; xem: vigil --help"},
        {"reason", "lý do"},
};

void cli_set_lang(vigil_lang l)
{
	lang = l;
}

vigil_lang cli_lang(void)
{
	return lang;
}

vigil_lang cli_lang_from_env(void)
{
	const char *vars[] = {"VIGIL_LANG", "LC_ALL", "LC_MESSAGES", "LANG"};

	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		const char *v = getenv(vars[i]);

		if (v != NULL && *v)
			return strncmp(v, "vi", 2) == 0 ? VIGIL_LANG_VI : VIGIL_LANG_EN;
	}
	return VIGIL_LANG_EN;
}

const char *_(const char *english)
{
	if (lang == VIGIL_LANG_EN)
		return english;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (strcmp(table[i][0], english) == 0)
			return table[i][1];
	return english;
}
