/*
 * tr.c - vigild's messages in Vietnamese (tr.h).
 *
 * English is the message id (what the code says); this table gives the
 * Vietnamese. A Vietnamese text must have the same printf conversions in the
 * same order as its English id: tests/unit/test_server_tr.c checks every
 * pair. A message missing here is answered in English.
 */
#include "tr.h"

#include <string.h>

const struct tr_pair tr_vi[] = {
        /* the team exercise (api_drill_team.c, drill_team.c) */
        {"a drill round's detection must be a drill record",
         "Phát hiện của một đợt diễn tập phải là bản ghi diễn tập"},
        {"a plant or unplant result needs \"order\" (its id), \"status\" (done or failed) and "
         "optionally \"detail\", \"path\", \"sha256\"",
         "Kết quả đặt hoặc gỡ tệp mô phỏng cần \"order\" (mã lệnh), \"status\" (done hoặc "
         "failed) và có thể thêm \"detail\", \"path\", \"sha256\""},
        {"the measures are for the drill's controllers and evaluators",
         "Kết quả đo chỉ dành cho người điều hành và người đánh giá diễn tập"},
        {"give \"minute_seconds\" (1..60: how long one scenario minute lasts), "
         "\"plants_per_unit\" (0..50), \"plants\" ({unit: [endpoint host, ...]}) and "
         "\"first_units\" (the units detected at the start), each optional, units of the round",
         "Hãy gửi \"minute_seconds\" (1..60: độ dài một phút của kịch bản), \"plants_per_unit\" "
         "(0..50), \"plants\" ({đơn vị: [tên máy, ...]}) và \"first_units\" (các đơn vị bị "
         "phát hiện lúc bắt đầu), đều tùy chọn, là đơn vị của đợt diễn tập"},
        {"this round has no team exercise (its kind is staff)",
         "Đợt này không có diễn tập đội ứng cứu (loại staff)"},
        {"the team exercise can be set only while the round is planned",
         "Chỉ đặt được diễn tập đội ứng cứu khi đợt diễn tập còn ở trạng thái kế hoạch"},
        {"the round's team exercise has not started",
         "Diễn tập đội ứng cứu của đợt này chưa bắt đầu"},
        /* drills (api_drills.c, drills.c, track.c) */
        {"\"controllers\" and \"evaluators\" must be lists of at most 50 user names",
         "\"controllers\" và \"evaluators\" phải là danh sách tối đa 50 tên người dùng"},
        {"\"controllers\" and \"evaluators\" must name active users",
         "\"controllers\" và \"evaluators\" phải là người dùng đang hoạt động"},
        {"\"kind\" must be staff, team or both", "\"kind\" phải là staff, team hoặc both"},
        {"\"objectives\" must be a list of at most 20 texts of at most 500 bytes",
         "\"objectives\" phải là danh sách tối đa 20 mục, mỗi mục tối đa 500 byte"},
        {"\"planned_end\" must come after \"planned_start\"",
         "\"planned_end\" phải sau \"planned_start\""},
        {"\"planned_start\" and \"planned_end\" are RFC 3339 times",
         "\"planned_start\" và \"planned_end\" là thời gian RFC 3339"},
        {"\"programme\" must be a programme id",
         "\"programme\" phải là mã một chương trình diễn tập"},
        {"\"rate_per_min\" must be 1 to 60,000 messages a minute",
         "\"rate_per_min\" phải từ 1 đến 60.000 thư mỗi phút"},
        {"\"region\" must be a region of the organisation",
         "\"region\" phải là một vùng của tổ chức"},
        {"\"rules\" (the rules of engagement) must be a text of at most 4,000 bytes",
         "\"rules\" (quy tắc diễn tập) phải là văn bản tối đa 4.000 byte"},
        {"\"sample\" must be null (every staff member) or 1 to 200,000 per unit",
         "\"sample\" phải là null (toàn bộ nhân viên) hoặc từ 1 đến 200.000 người mỗi đơn vị"},
        {"\"scenario\" must be a scenario id (lower-case letters, digits and '-')",
         "\"scenario\" phải là mã kịch bản (chữ thường, số và '-')"},
        {"\"seq\" must be the round's number in its year, 1 to 99",
         "\"seq\" phải là số thứ tự của đợt trong năm, từ 1 đến 99"},
        {"\"theme\" must be a non-empty text of at most 300 bytes",
         "\"theme\" phải là văn bản không rỗng, tối đa 300 byte"},
        {"\"units\" must be a list of 1 to 500 units of the organisation",
         "\"units\" phải là danh sách từ 1 đến 500 đơn vị của tổ chức"},
        {"\"year\" must be a year from 2000 to 2100", "\"year\" phải là năm từ 2000 đến 2100"},
        {"a round can be started, ended or cleaned up",
         "Một đợt diễn tập chỉ có thể bắt đầu, kết thúc hoặc dọn dẹp"},
        {"filters: programme (an id), year, region, state (planned, running, ended, cleaned), "
         "kind (staff, team, both)",
         "Bộ lọc: programme (mã), year, region, state (planned, running, ended, cleaned), kind "
         "(staff, team, both)"},
        {"give \"name\" (≤ 200 bytes), \"year\" (2000 to 2100), optionally \"description\" (≤ "
         "2,000 bytes) and \"generate\": true for the default rounds",
         "Hãy gửi \"name\" (≤ 200 byte), \"year\" (2000 đến 2100), có thể thêm \"description\" "
         "(≤ 2.000 byte) và \"generate\": true để tạo các đợt mặc định"},
        {"no such drill programme", "Không có chương trình diễn tập này"},
        {"no such drill round", "Không có đợt diễn tập này"},
        {"nothing to change: give at least one field of the round",
         "Không có gì để thay đổi: hãy gửi ít nhất một trường của đợt diễn tập"},
        {"unknown field in a drill round", "Trường không hợp lệ trong đợt diễn tập"},
        {"only a planned round can be changed; this one has started",
         "Chỉ đợt diễn tập đang lên kế hoạch mới được sửa; đợt này đã bắt đầu"},
        {"only a planned round can be started",
         "Chỉ đợt diễn tập đang lên kế hoạch mới bắt đầu được"},
        {"only a running round can be ended", "Chỉ đợt diễn tập đang diễn ra mới kết thúc được"},
        {"only an ended round can be cleaned up", "Chỉ đợt diễn tập đã kết thúc mới dọn dẹp được"},
        {"drills are not configured: vigild has no drill key (drill_key_file)",
         "Chưa cấu hình diễn tập: vigild chưa có khoá diễn tập (drill_key_file)"},
        {"the round's units have no staff with a mailbox in the organisation",
         "Các đơn vị của đợt diễn tập không có nhân viên nào có hộp thư trong tổ chức"},
        {"this programme already has rounds", "Chương trình này đã có các đợt diễn tập"},
        {"the organisation has no regions to drill", "Tổ chức không có vùng nào để diễn tập"},
        {"%s is not allowed on %s", "%s không được phép với %s"},
        {"API tokens have no session to end", "Khoá API không có phiên đăng nhập để kết thúc"},
        {"\"%s\" must be a non-empty string of bounded length",
         "\"%s\" phải là chuỗi không rỗng, độ dài giới hạn"},
        {"\"disabled\" must be true or false", "\"disabled\" phải là true hoặc false"},
        {"\"lang\" must be vi or en", "\"lang\" phải là vi hoặc en"},
        {"\"owner\" is not an active user", "\"owner\" không phải người dùng đang hoạt động"},
        {"\"region\" must be north, central-highlands, south or national",
         "\"region\" phải là north, central-highlands, south hoặc national"},
        {"\"role\" must be one of admin, central_analyst, provincial_analyst, "
         "regional_coordinator, drill_controller, viewer",
         "\"role\" phải là một trong admin, central_analyst, provincial_analyst, "
         "regional_coordinator, drill_controller, viewer"},
        {"\"unit\" is not a unit of the organisation", "\"unit\" không phải đơn vị của tổ chức"},
        {"\"username\" may contain letters, digits, '.', '_' and '-' only",
         "\"username\" chỉ gồm chữ, số và các ký tự '.', '_', '-'"},
        {"\"username\", \"display_name\", \"role\" and \"password\" are required",
         "Cần có \"username\", \"display_name\", \"role\" và \"password\""},
        {"\"assignee\" is not an active user", "\"assignee\" không phải người dùng đang hoạt động"},
        {"give \"done\": true or false, and/or \"assignee\": a user name",
         "Hãy gửi \"done\": true hoặc false, và/hoặc \"assignee\": tên người dùng"},
        {"give \"name\" (≤ 255 bytes) and \"content\" (the file in base64, at most 700 KiB)",
         "Hãy gửi \"name\" (≤ 255 byte) và \"content\" (tệp mã hoá base64, tối đa 700 KiB)"},
        {"\"content\" is not base64", "\"content\" không phải base64"},
        {"no such report; use notification, initial or final",
         "Không có báo cáo này; dùng notification, initial hoặc final"},
        {"format must be json, pdf or html", "format phải là json, pdf hoặc html"},
        {"the report could not be drawn; tell the administrator",
         "Không tạo được báo cáo; hãy báo quản trị viên"},
        {"give optionally \"number\" (the report's number, ≤ 100 bytes) and \"sent_to\" (up to "
         "20 recipients)",
         "Có thể gửi \"number\" (số hiệu báo cáo, ≤ 100 byte) và \"sent_to\" (tối đa 20 nơi "
         "nhận)"},
        {"this report was already filed", "Báo cáo này đã được gửi"},
        {"this server has no gateway quarantine configured",
         "Máy chủ này chưa cấu hình kho cách ly của cổng thư"},
        {"the quarantine cannot be opened (%s)", "Không mở được kho cách ly (%s)"},
        {"no such quarantined message", "Không có thư cách ly này"},
        {"no sendmail is configured to release messages through",
         "Chưa cấu hình sendmail để giải phóng thư"},
        {"the message was already released or deleted", "Thư đã được giải phóng hoặc đã xoá"},
        {"the quarantine could not do it (%s)", "Kho cách ly không thực hiện được (%s)"},
        {"only the IT Centre (central analysts, administrators) may release a message",
         "Chỉ Trung tâm CNTT (phân tích viên Trung tâm, quản trị viên) được giải phóng thư"},
        {"format must be stix or misp", "format phải là stix hoặc misp"},
        {"the export failed (%s)", "Xuất dữ liệu thất bại (%s)"},
        {"not a %s document: %s", "Không phải tài liệu %s: %s"},
        {"no such kind of record", "Không có loại bản ghi này"},
        {"give \"content\": the reported message (.eml) in base64, at most 700 KiB",
         "Hãy gửi \"content\": thư được báo cáo (.eml) mã hoá base64, tối đa 700 KiB"},
        {"give \"units\": the units the reported message concerns",
         "Hãy gửi \"units\": các đơn vị liên quan đến thư được báo cáo"},
        {"the scanner could not start (%s)", "Không khởi động được bộ quét (%s)"},
        {"the scanner failed on this message (it may be too complex); attach it to an incident "
         "as evidence instead",
         "Bộ quét không xử lý được thư này (có thể quá phức tạp); hãy đính kèm thư vào sự cố như "
         "chứng cứ"},
        {"give optionally \"copies\": a list of copy ids",
         "Có thể gửi \"copies\": danh sách mã bản sao"},
        {"claw-back is not configured: set [clawback] imap_host, master_user and "
         "master_password_file",
         "Chưa cấu hình thu hồi thư: đặt [clawback] imap_host, master_user và "
         "master_password_file"},
        {"a claw-back of this incident is already running",
         "Đang có một lượt thu hồi thư của sự cố này"},
        {"\"from\" and \"to\" are RFC 3339 times", "\"from\" và \"to\" là thời gian RFC 3339"},
        {"a closed incident can only be reopened to \"triage\"",
         "Sự cố đã đóng chỉ có thể mở lại ở bước \"triage\" (phân loại)"},
        {"a provincial analyst needs a \"unit\"", "Phân tích viên tỉnh cần có \"unit\" (đơn vị)"},
        {"a regional coordinator needs a \"region\" (or a \"unit\" in it)",
         "Điều phối miền cần có \"region\" (hoặc một \"unit\" thuộc miền)"},
        {"a user named %s already exists", "Đã có người dùng tên %s"},
        {"give \"done\": true or false", "Hãy gửi \"done\": true hoặc false"},
        {"give \"name\", \"kind\" (gateway, agent or api) and optionally a \"unit\" of the "
         "organisation",
         "Hãy gửi \"name\", \"kind\" (gateway, agent hoặc api) và có thể kèm \"unit\" của tổ "
         "chức"},
        {"give \"text\" (1..10000 bytes)", "Hãy gửi \"text\" (1..10000 byte)"},
        {"give \"title\" (≤ 500 bytes) and optionally \"unit\" (a unit id)",
         "Hãy gửi \"title\" (≤ 500 byte) và có thể kèm \"unit\" (mã đơn vị)"},
        {"give \"title\" (≤ 500 bytes), \"units\" (1..64 unit ids) and optionally \"severity\" "
         "(low, medium, high, critical), \"tlp\" (TLP:CLEAR, TLP:GREEN, TLP:AMBER, "
         "TLP:AMBER+STRICT, TLP:RED), \"summary\", \"drill\" (boolean)",
         "Hãy gửi \"title\" (≤ 500 byte), \"units\" (1..64 mã đơn vị) và có thể kèm "
         "\"severity\" (low, medium, high, critical), \"tlp\" (TLP:CLEAR, TLP:GREEN, TLP:AMBER, "
         "TLP:AMBER+STRICT, TLP:RED), \"summary\", \"drill\" (true/false)"},
        {"give \"type\" (sha256, sha1, md5, email, domain, url, ipv4, ipv6, filename, subject, "
         "message_id), \"value\" and optionally \"description\" and \"tlp\"",
         "Hãy gửi \"type\" (sha256, sha1, md5, email, domain, url, ipv4, ipv6, filename, "
         "subject, message_id), \"value\" và có thể kèm \"description\", \"tlp\""},
        {"give \"username\" and \"password\" as strings of at most 128 bytes",
         "Hãy gửi \"username\" và \"password\" là chuỗi tối đa 128 byte"},
        {"give any of \"status\" (new, triage, containment, eradication, recovery, closed), "
         "\"severity\", \"tlp\", \"title\", \"summary\", \"owner\" (a user name), each valid",
         "Hãy gửi ít nhất một trong \"status\" (new, triage, containment, eradication, recovery, "
         "closed), \"severity\", \"tlp\", \"title\", \"summary\", \"owner\" (tên người dùng), "
         "đúng định dạng"},
        {"no such API endpoint: %s", "Không có địa chỉ API: %s"},
        {"no such incident", "Không tìm thấy sự cố"},
        {"no such incident or task", "Không tìm thấy sự cố hoặc nhiệm vụ"},
        {"no such page", "Không tìm thấy trang"},
        {"no such task in this incident", "Sự cố này không có nhiệm vụ đó"},
        {"no such token", "Không tìm thấy khoá API"},
        {"no such user", "Không tìm thấy người dùng"},
        {"only suspicious or malicious messages are alerts",
         "Chỉ thư nghi ngờ hoặc độc hại mới là cảnh báo"},
        {"out of memory; try again", "Hết bộ nhớ; hãy thử lại"},
        {"post the gateway's message record as JSON", "Hãy gửi bản ghi thư của cổng thư dạng JSON"},
        {"sign in first (or send a valid API token as 'Authorization: Bearer ...')",
         "Hãy đăng nhập trước (hoặc gửi khoá API hợp lệ: 'Authorization: Bearer ...')"},
        {"status must be one of new, triage, containment, eradication, recovery, closed",
         "status phải là một trong new, triage, containment, eradication, recovery, closed"},
        {"the address is too long", "Địa chỉ quá dài"},
        {"the body is not valid JSON", "Nội dung gửi lên không phải JSON hợp lệ"},
        {"the body must be a JSON object", "Nội dung gửi lên phải là một đối tượng JSON"},
        {"the body is not a message record with uid, gateway and verdict (see docs/store.md for "
         "its fields)",
         "Nội dung không phải bản ghi thư có uid, gateway và verdict (xem docs/store.md)"},
        {"the database cannot be reached (%s); the gateway will retry",
         "Không kết nối được cơ sở dữ liệu (%s); cổng thư sẽ gửi lại"},
        {"the database cannot be reached (%s); try again in a moment, and tell the administrator "
         "if it lasts",
         "Không kết nối được cơ sở dữ liệu (%s); hãy thử lại sau ít phút và báo quản trị viên "
         "nếu vẫn lỗi"},
        {"the password could not be hashed; try again", "Không băm được mật khẩu; hãy thử lại"},
        {"the password must be at least 10 characters long", "Mật khẩu phải dài ít nhất 10 ký tự"},
        {"the password must be at most 128 characters long", "Mật khẩu dài tối đa 128 ký tự"},
        {"the password must be valid UTF-8 text", "Mật khẩu phải là văn bản UTF-8 hợp lệ"},
        {"the request body is larger than %u bytes", "Nội dung yêu cầu lớn hơn %u byte"},
        {"the request lacks this session's X-CSRF-Token header; reload the page",
         "Yêu cầu thiếu mã chống giả mạo (X-CSRF-Token) của phiên; hãy tải lại trang"},
        {"the request needs a JSON object as its body", "Yêu cầu cần nội dung là đối tượng JSON"},
        {"the server did not answer this request", "Máy chủ không trả lời yêu cầu này"},
        {"this account is locked for 15 minutes after %d failed sign-ins; wait, or ask an "
         "administrator",
         "Tài khoản bị khoá 15 phút sau %d lần đăng nhập sai; hãy chờ hoặc liên hệ quản trị viên"},
        {"too many sign-in attempts from this address; wait five minutes",
         "Quá nhiều lần đăng nhập từ địa chỉ này; hãy chờ năm phút"},
        {"units[%zu] is not a unit of the organisation",
         "units[%zu] không phải đơn vị của tổ chức"},
        {"wrong user name or password", "Sai tên đăng nhập hoặc mật khẩu"},
        {"you may open incidents only for units in your scope%s",
         "Bạn chỉ được tạo sự cố cho đơn vị thuộc phạm vi của mình%s"},
        {" (drill controllers: drill incidents only)", " (điều hành diễn tập: chỉ sự cố diễn tập)"},
        {"you may see this incident but not change it",
         "Bạn được xem nhưng không được sửa sự cố này"},
        {"your role (%s) may not do this", "Vai trò của bạn (%s) không được làm việc này"},
        {"a SHA-256 is 64 hexadecimal digits", "SHA-256 gồm 64 chữ số thập lục phân"},
        {"a SHA-1 is 40 hexadecimal digits", "SHA-1 gồm 40 chữ số thập lục phân"},
        {"an MD5 is 32 hexadecimal digits", "MD5 gồm 32 chữ số thập lục phân"},
        {"not an IPv4 address", "Không phải địa chỉ IPv4"},
        {"not an IPv6 address", "Không phải địa chỉ IPv6"},
        {"not an email address", "Không phải địa chỉ thư điện tử"},
        {"not a domain name", "Không phải tên miền"},
        {"a URL starts with http://, https:// or ftp:// (at most 2048 bytes)",
         "URL phải bắt đầu bằng http://, https:// hoặc ftp:// (tối đa 2048 byte)"},
        {"at most 998 bytes", "Tối đa 998 byte"},
        /* the block list and the gateways (api_blocks.c, blockhub.c) */
        {"the block stream is not running", "Luồng danh sách chặn chưa chạy"},
        {"Last-Event-ID (or ?after=) must be a sequence number; ?stream= and ?gateway= short "
         "printable names",
         "Last-Event-ID (hoặc ?after=) phải là số thứ tự; ?stream= và ?gateway= là tên ngắn, "
         "in được"},
        {"too many gateways are connected; try again later",
         "Có quá nhiều cổng thư đang kết nối; hãy thử lại sau"},
        {"give \"type\" (sha256, sha1, md5, email, domain, url, ipv4, ipv6, filename, "
         "subject, message_id), \"value\" and optionally \"description\"",
         "Hãy gửi \"type\" (sha256, sha1, md5, email, domain, url, ipv4, ipv6, filename, "
         "subject, message_id), \"value\" và có thể kèm \"description\""},
        {"this indicator is already on the block list", "Chỉ dấu này đã có trong danh sách chặn"},
        {"no such block list entry", "Không có mục này trong danh sách chặn"},
        {"give \"seq\": the last block event applied",
         "Hãy gửi \"seq\": số thứ tự sự kiện chặn cuối cùng đã áp dụng"},
        {"seq %lld is beyond the newest block event (%lld): follow the stream again from the "
         "start",
         "seq %lld vượt quá sự kiện chặn mới nhất (%lld): hãy theo dõi lại luồng từ đầu"},
        /* endpoint agents and sweeps (api_agents.c) */
        {"\"hits\" must be an array of at most 1000 hits",
         "\"hits\" phải là mảng tối đa 1000 kết quả trùng khớp"},
        {"\"indicators\" must be an array of at most 1000 {\"type\", \"value\"}",
         "\"indicators\" phải là mảng tối đa 1000 phần tử {\"type\", \"value\"}"},
        {"\"kind\" must be sweep, quarantine, plant or unplant",
         "\"kind\" phải là sweep, quarantine, plant hoặc unplant"},
        {"\"unit\" and \"q\" are at most 64 and 253 bytes",
         "\"unit\" và \"q\" dài tối đa 64 và 253 byte"},
        {"a file name is at most 255 bytes, without '/'",
         "Tên tệp dài tối đa 255 byte, không chứa '/'"},
        {"a quarantine result needs \"order\" (its id), \"status\" (done or failed) and optionally "
         "\"detail\", \"quarantined_as\", \"sha256\"",
         "Kết quả cách ly cần có \"order\" (mã lệnh), \"status\" (done hoặc failed) và có thể kèm "
         "\"detail\", \"quarantined_as\", \"sha256\""},
        {"a sweep reaches at most 30000 endpoints; choose fewer units",
         "Một lần rà quét tối đa 30000 máy trạm; hãy chọn ít đơn vị hơn"},
        {"a sweep result needs \"sweep\" (its id), \"complete\" (true or false), \"files\", "
         "\"hits\" and optionally \"error\"",
         "Kết quả rà quét cần có \"sweep\" (mã lần rà quét), \"complete\" (true hoặc false), "
         "\"files\", \"hits\" và có thể kèm \"error\""},
        {"each hit needs \"path\" (absolute), \"matched\" (what it matched) and optionally "
         "\"sha256\", \"size\", \"mtime_ms\", \"object\"",
         "Mỗi kết quả trùng khớp cần có \"path\" (đường dẫn tuyệt đối), \"matched\" (chỉ dấu trùng "
         "khớp) và có thể kèm \"sha256\", \"size\", \"mtime_ms\", \"object\""},
        {"each indicator needs \"type\" (sha256, sha1, md5 or filename) and \"value\"",
         "Mỗi chỉ dấu cần có \"type\" (sha256, sha1, md5 hoặc filename) và \"value\""},
        {"give \"host\" and \"path\" of a hit (or its \"hit\" id) to quarantine",
         "Hãy gửi \"host\" và \"path\" của tệp trùng khớp (hoặc mã \"hit\") để cách ly"},
        {"give \"token\" (the enrolment token), \"host\" (letters, digits, '.', '-', '_'; at most "
         "253) and optionally \"os\" and \"version\"",
         "Hãy gửi \"token\" (mã đăng ký), \"host\" (chữ, số, '.', '-', '_'; tối đa 253) và có thể "
         "kèm \"os\", \"version\""},
        {"give optionally \"indicators\", \"rules\" (YARA, at most 64 KiB), \"units\" (1..64 unit "
         "ids; default the incident's) and \"deadline_seconds\" (5..604800, default 14400)",
         "Có thể gửi \"indicators\", \"rules\" (luật YARA, tối đa 64 KiB), \"units\" (1..64 mã đơn "
         "vị; mặc định là các đơn vị của sự cố) và \"deadline_seconds\" (5..604800, mặc định "
         "14400)"},
        {"give optionally \"unit\" (a unit of the organisation), \"host\" (the only host that may "
         "use the token) and \"hours\" (1..720, default 72)",
         "Có thể gửi \"unit\" (đơn vị của tổ chức), \"host\" (máy duy nhất được dùng mã này) và "
         "\"hours\" (1..720, mặc định 72)"},
        {"no such agent", "Không tìm thấy tác tử"},
        {"no such hit: only a file an agent reported in this sweep can be quarantined",
         "Không có tệp trùng khớp này: chỉ cách ly được tệp mà tác tử đã báo cáo trong lần rà quét "
         "này"},
        {"no such sweep in this incident", "Sự cố này không có lần rà quét đó"},
        {"only administrators and central analysts manage endpoint agents",
         "Chỉ quản trị viên và phân tích viên Trung tâm được quản lý tác tử máy trạm"},
        {"send the agent's credential as 'Authorization: Bearer vga_...'",
         "Hãy gửi khoá xác thực của tác tử: 'Authorization: Bearer vga_...'"},
        {"status must be one of infected, clean, incomplete, pending, not_reached",
         "status phải là một trong infected, clean, incomplete, pending, not_reached"},
        {"the YARA rules do not compile: %s", "Luật YARA không biên dịch được: %s"},
        {"the enrolment token is unknown, already used or expired; ask for a new one",
         "Mã đăng ký không tồn tại, đã dùng hoặc đã hết hạn; hãy xin mã mới"},
        {"the incident has no hash or file name indicators; give \"indicators\" or \"rules\"",
         "Sự cố chưa có chỉ dấu mã băm hoặc tên tệp; hãy gửi \"indicators\" hoặc \"rules\""},
        {"these units have no endpoints in the organisation and no enrolled agents",
         "Các đơn vị này không có máy trạm trong tổ chức và không có tác tử đã đăng ký"},
        {"this agent's credential is unknown or revoked; enrol the agent again",
         "Khoá xác thực của tác tử không tồn tại hoặc đã bị thu hồi; hãy đăng ký lại tác tử"},
        {"this endpoint has no such order", "Máy trạm này không có lệnh đó"},
        {"this endpoint was not asked for this sweep", "Máy trạm này không thuộc lần rà quét đó"},
        {"this enrolment token is for another host", "Mã đăng ký này dành cho máy khác"},
        {"this host is not an endpoint of the organisation; enrol it with a token made for its "
         "unit",
         "Máy này không có trong danh sách máy trạm của tổ chức; hãy đăng ký bằng mã tạo cho đơn "
         "vị của máy"},
        {"you may sweep only the endpoints of units in your scope",
         "Bạn chỉ được rà quét máy trạm của đơn vị thuộc phạm vi của mình"},
        {NULL, NULL},
};

const char *tr(const char *lang, const char *en)
{
	if (en == NULL || lang == NULL || strcmp(lang, "vi") != 0)
		return en;
	for (const struct tr_pair *p = tr_vi; p->en != NULL; p++)
		if (strcmp(p->en, en) == 0)
			return p->vi;
	return en;
}
