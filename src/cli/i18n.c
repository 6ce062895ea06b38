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
        /* vigil quarantine (cmd_quarantine.c) */
        {"--raw writes the message bytes; send them to a file: vigil quarantine show ID --raw > "
         "message.eml",
         "--raw ghi nguyên nội dung thư ra; hãy chuyển vào một tệp: vigil quarantine show ID --raw "
         "> message.eml"},
        {"Delete message", "Xóa thư"},
        {"Deleted", "Đã xóa"},
        {"Duplicate copies discarded", "Bản sao trùng đã loại bỏ"},
        {"Envelope recipients", "Người nhận (phong bì)"},
        {"Envelope sender", "Người gửi (phong bì)"},
        {"FROM / SUBJECT", "NGƯỜI GỬI / CHỦ ĐỀ"},
        {"Findings", "Phát hiện"},
        {"From", "Người gửi"},
        {"Gateway", "Cổng thư"},
        {"History", "Lịch sử"},
        {"Last error", "Lỗi gần nhất"},
        {"Message", "Thư"},
        {"Message-ID", "Message-ID"},
        {"Objects", "Đối tượng"},
        {"QUARANTINED", "CÁCH LY LÚC"},
        {"Quarantined", "Cách ly lúc"},
        {"Received", "Nhận lúc"},
        {"Release message", "Giải phóng thư"},
        {"Released", "Đã giải phóng"},
        {"STATE", "TRẠNG THÁI"},
        {"State", "Trạng thái"},
        {"Stored message", "Thư lưu trữ"},
        {"Subject", "Chủ đề"},
        {"The quarantine is empty.", "Khu cách ly trống."},
        {"To", "Người nhận"},
        {"URLs", "URL"},
        {"VERDICT", "KẾT LUẬN"},
        {"Verdict", "Kết luận"},
        {"[y/N]", "[c/K]"},
        {"a release of it is running now; wait for it to finish",
         "thư đang được giải phóng; hãy đợi cho xong"},
        {"a release of it is unfinished; run 'vigil quarantine release' again first",
         "lần giải phóng trước chưa xong; hãy chạy lại 'vigil quarantine release' trước"},
        {"action", "hành động"},
        {"by", "bởi"},
        {"bytes", "byte"},
        {"cancelled; nothing was changed", "đã hủy; không có gì thay đổi"},
        {"cannot read the configuration", "không đọc được tệp cấu hình"},
        {"check free disk space and the permissions of the quarantine (run as root or as "
         "vigil-milter's user)",
         "hãy kiểm tra dung lượng đĩa còn trống và quyền truy cập khu cách ly (chạy bằng root hoặc "
         "bằng người dùng của vigil-milter)"},
        {"confirm with --yes (there is no terminal to ask on)",
         "hãy xác nhận bằng --yes (không có terminal để hỏi)"},
        {"deleted; its record is kept", "đã xóa; bản ghi vẫn được giữ"},
        {"give one message id; see: vigil quarantine list",
         "hãy chỉ định một mã thư; xem: vigil quarantine list"},
        {"it is already released; a message is never sent twice",
         "thư đã được giải phóng; một thư không bao giờ được gửi hai lần"},
        {"it was deleted; only its record is kept", "thư đã bị xóa; chỉ còn giữ bản ghi"},
        {"messages", "thư"},
        {"no quarantine there; check --dir, or quarantine_dir in [milter] of the configuration",
         "không có khu cách ly ở đó; hãy kiểm tra --dir, hoặc quarantine_dir trong mục [milter] "
         "của tệp cấu hình"},
        {"no such message in the quarantine; see: vigil quarantine list",
         "không có thư này trong khu cách ly; xem: vigil quarantine list"},
        {"not a quarantine id (32 lower-case hex characters, as 'vigil quarantine list' shows "
         "them)",
         "không phải mã cách ly (32 ký tự hex chữ thường, như 'vigil quarantine list' hiển thị)"},
        {"queue id", "mã hàng đợi"},
        {"released to", "đã giải phóng tới"},
        {"say where the quarantine is: --dir DIR or --config FILE",
         "hãy chỉ ra khu cách ly: --dir THƯ_MỤC hoặc --config TỆP"},
        {"sendmail failed; the message stays in the quarantine and can be released again once the "
         "cause is fixed",
         "sendmail bị lỗi; thư vẫn nằm trong khu cách ly và có thể giải phóng lại khi đã khắc phục "
         "nguyên nhân"},
        {"takes no arguments", "không nhận tham số"},
        {"the message file is missing from the quarantine", "tệp thư không còn trong khu cách ly"},
        {"the message's record cannot be used for a release",
         "bản ghi của thư không dùng được để giải phóng"},
        {"to", "tới"},
        {"unknown command; try: vigil quarantine --help",
         "lệnh không xác định; xem: vigil quarantine --help"},
        {"quarantined", "đang cách ly"},
        {"releasing", "đang giải phóng"},
        {"released", "đã giải phóng"},
        {"deleted", "đã xóa"},
        {"inbound", "chiều vào"},
        {"outbound", "chiều ra"},
        {"release", "giải phóng"},
        {"put in the quarantine", "đưa vào khu cách ly"},
        {"release started", "bắt đầu giải phóng"},
        {"release failed", "giải phóng thất bại"},
        {"released: sendmail took it", "đã giải phóng: sendmail đã nhận thư"},
        {"first copy let through by vigil-milter", "bản đầu tiên đã được vigil-milter cho qua"},
        /* vigil hunt (cmd_hunt.c) */
        {"Usage: vigil hunt (--db URL | --config FILE) [criteria] [--json]\n"
         "Finds every copy of a message in the gateways' records.\n\n"
         "Criteria (all must match; at least one indicator or --from and --to):\n"
         "  --sha256 H, --md5 H, --sha1 H   a hash of any object of the message\n"
         "  --sender ADDR                   envelope or From: address\n"
         "  --sender-domain D               envelope or From: domain\n"
         "  --domain D                      a domain or URL host in the message\n"
         "  --url URL                       an exact URL in the message\n"
         "  --message-id ID                 the Message-ID (without <>)\n"
         "  --subject TEXT                  a substring of the subject\n"
         "  --from TIME, --to TIME          received in [from, to) (RFC 3339)\n"
         "  --drill                         drill traffic instead of real mail\n"
         "  --limit N                       at most N messages (default all)\n\n"
         "Exit status: 0 found, 1 nothing found, 2 an error.\n",
         "Cách dùng: vigil hunt (--db URL | --config TỆP) [tiêu chí] [--json]\n"
         "Tìm mọi bản sao của một thư trong bản ghi của các cổng thư.\n\n"
         "Tiêu chí (phải khớp tất cả; ít nhất một chỉ dấu hoặc --from và --to):\n"
         "  --sha256 H, --md5 H, --sha1 H   mã băm của một đối tượng bất kỳ trong thư\n"
         "  --sender ĐỊA_CHỈ                địa chỉ người gửi (phong bì hoặc From:)\n"
         "  --sender-domain D               tên miền người gửi\n"
         "  --domain D                      tên miền hoặc máy chủ URL trong thư\n"
         "  --url URL                       đúng một URL trong thư\n"
         "  --message-id ID                 Message-ID (không có <>)\n"
         "  --subject CHỮ                   một phần của tiêu đề\n"
         "  --from THỜI_GIAN, --to THỜI_GIAN  nhận trong khoảng [from, to) (RFC 3339)\n"
         "  --drill                         thư diễn tập thay vì thư thật\n"
         "  --limit N                       tối đa N thư (mặc định: tất cả)\n\n"
         "Mã thoát: 0 tìm thấy, 1 không thấy gì, 2 có lỗi.\n"},
        {"Usage: vigil retroscan (--dir DIR | --config FILE) [--rules R] [--ioc F] [--json]\n"
         "Scans the messages the gateway kept again with new rules and indicators, and lists "
         "what they would have caught.\nExit status: 0 nothing new, 1 something new, 2 an "
         "error.\n\n",
         "Cách dùng: vigil retroscan (--dir THƯ_MỤC | --config TỆP) [--rules R] [--ioc F] "
         "[--json]\nQuét lại các thư cổng thư đã giữ bằng luật và chỉ dấu mới, liệt kê những gì "
         "chúng lẽ ra đã phát hiện.\nMã thoát: 0 không có gì mới, 1 có phát hiện mới, 2 có "
         "lỗi.\n\n"},
        {"with new findings", "có phát hiện mới"},
        {"give the store with --db URL, or --config with vigil-milter's configuration",
         "hãy chỉ định kho dữ liệu bằng --db URL, hoặc --config với cấu hình của vigil-milter"},
        {"the store failed", "kho dữ liệu gặp lỗi"},
        {"recipients", "người nhận"},
        {"copies", "bản sao"},
        /* vigil report (cmd_report.c) */
        {"Writes a report of Circular 20/2017/TT-BTTTT (incident notification, initial "
         "report, final report) from an incident document. OUT '-' is standard output; "
         "--now sets the report time (RFC 3339, default now); --strict writes nothing "
         "when required fields are missing.",
         "Lập báo cáo theo Thông tư 20/2017/TT-BTTTT (thông báo sự cố, báo cáo ban đầu, báo "
         "cáo kết thúc ứng phó) từ tài liệu sự cố. OUT '-' là đầu ra chuẩn; --now đặt thời "
         "điểm báo cáo (RFC 3339, mặc định là hiện tại); --strict không ghi gì khi thiếu "
         "thông tin bắt buộc."},
        {"the incident document is too large", "tài liệu sự cố quá lớn"},
        {"cannot write the output", "không ghi được đầu ra"},
        {"deadline of the", "hạn nộp báo cáo"},
        {"not yet started", "chưa bắt đầu tính"},
        {"not_due", "chưa đến hạn"},
        {"due_soon", "sắp đến hạn"},
        {"overdue", "quá hạn"},
        {"filed", "đã nộp"},
        {"waiting", "chờ kết thúc ứng phó"},
        {"unknown", "không xác định"},
        {"required fields missing (draft)", "còn thiếu thông tin bắt buộc (bản nháp)"},
        {"not an RFC 3339 time (e.g. 2026-11-27T08:15:00Z)",
         "không phải thời gian RFC 3339 (ví dụ 2026-11-27T08:15:00Z)"},
        {"--kind must be notification, initial or final",
         "--kind phải là notification, initial hoặc final"},
        {"--format must be pdf, json or html", "--format phải là pdf, json hoặc html"},
        {"give one incident document and the output: INCIDENT.json -o OUT",
         "hãy chỉ định một tài liệu sự cố và đầu ra: INCIDENT.json -o OUT"},
        {"not an incident document", "không phải tài liệu sự cố"},
        {"line", "dòng"},
        {"out of memory", "hết bộ nhớ"},
        {"--strict: nothing written", "--strict: không ghi gì"},
        {"cannot render the report", "không tạo được báo cáo"},
        {"unknown report; try: vigil report c20 --help",
         "loại báo cáo không xác định; xem: vigil report c20 --help"},
        /* vigil org (cmd_org.c) and the organisation module's messages (server/org.c) */
        {"valid organisation file", "tệp tổ chức hợp lệ"},
        {"Organisation", "Tổ chức"},
        {"Domain", "Tên miền"},
        {"Region", "Vùng"},
        {"Units", "Đơn vị"},
        {"Staff", "Cán bộ"},
        {"Endpoints", "Thiết bị"},
        {"Total", "Tổng cộng"},
        {"Systems", "Hệ thống ứng dụng"},
        {"Aliases", "Địa chỉ bí danh"},
        {"units", "đơn vị"},
        {"staff members", "cán bộ"},
        {"endpoints", "thiết bị"},
        {"give one file; try --help", "hãy chỉ định một tệp; xem --help"},
        {"unknown command; try: vigil org --help", "lệnh không xác định; xem: vigil org --help"},
        {"takes a number from 0 to 18446744073709551615",
         "nhận một số từ 0 đến 18446744073709551615"},
        {"takes a number in", "nhận một số trong khoảng"},
        {"missing", "thiếu"},
        {"not a string", "không phải chuỗi"},
        {"not an object", "không phải đối tượng JSON"},
        {"not an array", "không phải mảng JSON"},
        {"not a JSON object", "không phải đối tượng JSON"},
        {"empty", "rỗng"},
        {"too long; the limit in bytes is", "quá dài; giới hạn (byte) là"},
        {"not valid UTF-8", "không phải UTF-8 hợp lệ"},
        {"contains a control character", "chứa ký tự điều khiển"},
        {"not an id (1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit)",
         "không phải mã định danh (1 đến 64 ký tự a-z, 0-9, '.', '_', '-', bắt đầu bằng chữ "
         "hoặc số)"},
        {"not an e-mail address", "không phải địa chỉ thư điện tử"},
        {"not a host name", "không phải tên máy"},
        {"not an IP address", "không phải địa chỉ IP"},
        {"not a domain name", "không phải tên miền"},
        {"not a unit kind (central, province, district, area)",
         "không phải loại đơn vị (central, province, district, area)"},
        {"no such region", "không có vùng này"},
        {"no such unit", "không có đơn vị này"},
        {"no such staff member", "không có cán bộ này"},
        {"no such endpoint", "không có thiết bị này"},
        {"no such system", "không có hệ thống này"},
        {"no such alias", "không có bí danh này"},
        {"already used by", "đã được dùng bởi"},
        {"too many entries; the limit is", "quá nhiều mục; giới hạn là"},
        {"too many members; the limit is", "quá nhiều thành phần; giới hạn là"},
        {"nested too deeply; the limit is", "lồng nhau quá sâu; giới hạn là"},
        {"a member name is too long; the limit in bytes is",
         "tên thành phần quá dài; giới hạn (byte) là"},
        {"too large; the limit in bytes is", "quá lớn; giới hạn (byte) là"},
        {"too many JSON values; the limit is", "quá nhiều giá trị JSON; giới hạn là"},
        {"not valid JSON:", "không phải JSON hợp lệ:"},
        {"cannot read:", "không đọc được:"},
        {"cannot write:", "không ghi được:"},
        {"not a regular file", "không phải tệp thông thường"},
        {"still referred to by", "vẫn đang được tham chiếu bởi"},
        {"cannot change; remove and add instead", "không thể thay đổi; hãy xóa rồi thêm mới"},
        {"out of range; the range is", "ngoài phạm vi; phạm vi hợp lệ là"},
        /* vigil ioc (cmd_ioc.c) and the exchange modules' errors */
        {"the input is larger than the limit", "dữ liệu đầu vào vượt quá giới hạn"},
        {"cannot write", "không ghi được"},
        {"not taken", "mục không được lấy"},
        {"more", "mục nữa"},
        {"give one input file; try --help", "hãy chỉ định một tệp đầu vào; xem --help"},
        {"not TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT or TLP:RED",
         "không phải TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT hay TLP:RED"},
        {"auto, stix or misp", "auto, stix hoặc misp"},
        {"neither a STIX bundle nor a MISP event",
         "không phải gói STIX (bundle) cũng không phải sự kiện MISP"},
        {"indicators imported", "chỉ dấu đã nhập"},
        {"--format stix or --format misp", "--format stix hoặc --format misp"},
        {"import or export? (try --help)", "import hay export? (xem --help)"},
        {"invalid argument", "tham số không hợp lệ"},
        {"not valid JSON", "không phải JSON hợp lệ"},
        {"not the expected document", "không phải tài liệu như mong đợi"},
        {"larger than the limits allow", "vượt quá giới hạn cho phép"},
        /* vigil drill (cmd_drill.c); the library's own errors carry both languages */
        {"ok", "đạt"},
        {"valid scenarios", "kịch bản hợp lệ"},
        {"invalid", "không hợp lệ"},
        {"the round reference is 1 to 40 letters, digits and '-'",
         "mã đợt diễn tập gồm 1 đến 40 chữ cái, chữ số và '-'"},
        {"a token is 26 lower-case letters and digits", "mã theo dõi gồm 26 chữ thường và chữ số"},
        {"writing a message to the terminal", "đang ghi thư ra màn hình"},
        {"created the drill key", "đã tạo khóa diễn tập"},
        {"Usage: vigil drill key FILE\n", "Cách dùng: vigil drill key TỆP\n"},
        {"Usage: vigil drill build SCENARIO --key FILE --round REF --to ADDRESS\n"
         "                         [--name NAME] [--unit UNIT] [--base URL] [--token TOKEN]\n"
         "Writes one drill message (RFC 5322, CRLF) to standard output.\n",
         "Cách dùng: vigil drill build KỊCH_BẢN --key TỆP --round MÃ_ĐỢT --to ĐỊA_CHỈ\n"
         "                         [--name TÊN] [--unit ĐƠN_VỊ] [--base URL] [--token MÃ]\n"
         "Ghi một thư diễn tập (RFC 5322, CRLF) ra đầu ra chuẩn.\n"},
        {"Usage: vigil drill check [DIR|FILE.json ...]\n"
         "       vigil drill build SCENARIO --key FILE --round REF --to ADDRESS [OPTIONS]\n"
         "       vigil drill key FILE\n"
         "Drill scenarios (docs/scenarios.md): check them, build a drill message, create "
         "the key.\n",
         "Cách dùng: vigil drill check [THƯ_MỤC|TỆP.json ...]\n"
         "       vigil drill build KỊCH_BẢN --key TỆP --round MÃ_ĐỢT --to ĐỊA_CHỈ [TÙY_CHỌN]\n"
         "       vigil drill key TỆP\n"
         "Kịch bản diễn tập (docs/scenarios.md): kiểm tra, tạo thư diễn tập, tạo khóa.\n"},
        {"input/output error", "lỗi đọc/ghi"},
        {"malformed input", "dữ liệu sai định dạng"},
        {"input exceeds a limit", "dữ liệu vượt giới hạn"},
        {"signature does not verify", "chữ ký không hợp lệ"},
        {"file exists", "tệp đã tồn tại"},
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
