#include "sim/httpmessage.h"

#include <QLocale>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

bool isTokenChar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

bool isToken(QByteArrayView text)
{
    if (text.isEmpty())
        return false;
    for (char c : text) {
        if (!isTokenChar(c))
            return false;
    }
    return true;
}

bool isTargetChar(char c)
{
    const auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte < 0x7f;
}

bool isFieldValue(QByteArrayView value)
{
    for (char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && c != '\t') || byte == 0x7f)
            return false;
    }
    return true;
}

bool hasCommaToken(QByteArrayView value, QByteArrayView token)
{
    const QList<QByteArray> parts = value.toByteArray().split(',');
    for (const QByteArray& part : parts) {
        if (part.trimmed().compare(token, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

QByteArrayView withoutCarriageReturn(QByteArrayView line)
{
    return line.endsWith('\r') ? line.chopped(1) : line;
}

} // namespace

QByteArray HttpRequest::header(QByteArrayView name) const
{
    for (const auto& [key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

bool HttpRequest::hasHeader(QByteArrayView name) const
{
    for (const auto& header : headers) {
        if (header.first.compare(name, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

bool HttpRequest::keepAlive() const
{
    const QByteArray connection = header("connection");
    if (hasCommaToken(connection, "close"))
        return false;
    return versionMinor >= 1 || hasCommaToken(connection, "keep-alive");
}

QByteArray HttpRequest::path() const
{
    const qsizetype mark = target.indexOf('?');
    return mark < 0 ? target : target.left(mark);
}

QByteArray HttpRequest::query() const
{
    const qsizetype mark = target.indexOf('?');
    return mark < 0 ? QByteArray() : target.mid(mark + 1);
}

void HttpRequestParser::feed(QByteArrayView data)
{
    if (m_errorStatus == 0)
        m_buffer.append(data);
}

HttpRequestParser::Result HttpRequestParser::next(HttpRequest& request)
{
    if (m_errorStatus != 0)
        return Result::Error;

    if (!m_inBody) {
        const qsizetype end = findHeadEnd();
        if (end < 0) {
            if (m_buffer.size() > MaxHeaderBytes)
                return fail(431, u"request head larger than %1 bytes"_s.arg(MaxHeaderBytes));
            return Result::NeedMore;
        }
        if (end > MaxHeaderBytes)
            return fail(431, u"request head larger than %1 bytes"_s.arg(MaxHeaderBytes));

        m_request = HttpRequest();
        m_bodyLength = 0;
        if (parseHead(QByteArrayView(m_buffer).first(end)) == Result::Error)
            return Result::Error;
        m_buffer.remove(0, end);
        m_scanned = 0;
        m_inBody = true;
    }

    if (m_buffer.size() < m_bodyLength)
        return Result::NeedMore;

    m_request.body = m_buffer.left(m_bodyLength);
    m_buffer.remove(0, m_bodyLength);
    m_inBody = false;
    request = std::move(m_request);
    m_request = HttpRequest();
    return Result::Ready;
}

HttpRequestParser::Result HttpRequestParser::fail(int status, const QString& reason)
{
    m_errorStatus = status;
    m_errorString = reason;
    m_buffer.clear();
    return Result::Error;
}

// Returns the length of the head including its blank line, or -1 while incomplete.
// Lines may end in CRLF or a bare LF; blank lines before a request line are skipped.
qsizetype HttpRequestParser::findHeadEnd()
{
    if (m_scanned == 0) {
        qsizetype skip = 0;
        while (skip < m_buffer.size()) {
            if (m_buffer.at(skip) == '\n')
                skip += 1;
            else if (m_buffer.at(skip) == '\r' && skip + 1 < m_buffer.size()
                && m_buffer.at(skip + 1) == '\n')
                skip += 2;
            else
                break;
        }
        m_buffer.remove(0, skip);
        // A lone CR may be the start of a blank line, also after blank lines already
        // skipped: wait for what follows it instead of scanning it as a request line.
        if (m_buffer == "\r")
            return -1;
    }

    for (qsizetype i = m_scanned; i < m_buffer.size(); ++i) {
        if (m_buffer.at(i) != '\n')
            continue;
        if (i >= 1 && m_buffer.at(i - 1) == '\n')
            return i + 1;
        if (i >= 2 && m_buffer.at(i - 1) == '\r' && m_buffer.at(i - 2) == '\n')
            return i + 1;
    }
    m_scanned = m_buffer.size();
    return -1;
}

HttpRequestParser::Result HttpRequestParser::parseHead(QByteArrayView head)
{
    const QList<QByteArray> lines = head.toByteArray().split('\n');
    if (parseRequestLine(withoutCarriageReturn(lines.first())) == Result::Error)
        return Result::Error;

    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArrayView line = withoutCarriageReturn(lines.at(i));
        if (line.isEmpty())
            break;
        if (parseHeaderLine(line) == Result::Error)
            return Result::Error;
    }
    return checkFraming();
}

HttpRequestParser::Result HttpRequestParser::parseRequestLine(QByteArrayView line)
{
    const QList<QByteArray> parts = line.toByteArray().split(' ');
    if (parts.size() != 3)
        return fail(400, u"malformed request line"_s);

    const QByteArray& method = parts.at(0);
    const QByteArray& target = parts.at(1);
    const QByteArray& version = parts.at(2);
    if (!isToken(method))
        return fail(400, u"malformed method"_s);
    if (target.isEmpty() || !std::all_of(target.begin(), target.end(), isTargetChar))
        return fail(400, u"malformed request target"_s);
    if (!target.startsWith('/') && target != "*")
        return fail(400, u"unsupported request target form"_s);
    if (version == "HTTP/1.1")
        m_request.versionMinor = 1;
    else if (version == "HTTP/1.0")
        m_request.versionMinor = 0;
    else
        return fail(400, u"unsupported HTTP version"_s);

    m_request.method = method;
    m_request.target = target;
    return Result::Ready;
}

HttpRequestParser::Result HttpRequestParser::parseHeaderLine(QByteArrayView line)
{
    if (line.startsWith(' ') || line.startsWith('\t'))
        return fail(400, u"obsolete header line folding"_s);

    const qsizetype colon = line.indexOf(':');
    if (colon <= 0 || !isToken(line.first(colon)))
        return fail(400, u"malformed header line"_s);

    const QByteArray value = line.sliced(colon + 1).toByteArray().trimmed();
    if (!isFieldValue(value))
        return fail(400, u"control character in header value"_s);

    m_request.headers.append({line.first(colon).toByteArray().toLower(), value});
    return Result::Ready;
}

HttpRequestParser::Result HttpRequestParser::checkFraming()
{
    if (m_request.hasHeader("transfer-encoding")) {
        if (m_request.versionMinor == 1
            && hasCommaToken(m_request.header("transfer-encoding"), "chunked"))
            return fail(411, u"chunked request bodies are not supported"_s);
        return fail(400, u"unsupported transfer-encoding"_s);
    }

    int hosts = 0;
    QByteArray length;
    for (const auto& [name, value] : std::as_const(m_request.headers)) {
        if (name == "host")
            ++hosts;
        if (name != "content-length")
            continue;
        if (!length.isNull() && value != length)
            return fail(400, u"conflicting content-length headers"_s);
        length = value;
    }
    if (hosts > 1 || (hosts == 0 && m_request.versionMinor == 1))
        return fail(400, u"an HTTP/1.1 request needs exactly one host header"_s);
    if (length.isNull())
        return Result::Ready;

    const bool digitsOnly
        = std::all_of(length.begin(), length.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (length.isEmpty() || length.size() > 18 || !digitsOnly)
        return fail(400, u"malformed content-length"_s);
    m_bodyLength = length.toLongLong();
    if (m_bodyLength > MaxBodyBytes)
        return fail(413, u"request body larger than %1 bytes"_s.arg(MaxBodyBytes));
    return Result::Ready;
}

QByteArray HttpResponse::head(const QDateTime& now) const
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status)
        + "\r\ndate: " + httpDate(now) + "\r\nserver: uvicorn\r\n";
    for (const auto& [name, value] : headers)
        out += name + ": " + value + "\r\n";
    out += "content-length: " + QByteArray::number(body.size()) + "\r\n";
    if (!contentType.isEmpty())
        out += "content-type: " + contentType + "\r\n";
    if (closeConnection)
        out += "connection: close\r\n";
    out += "\r\n";
    return out;
}

QByteArray HttpResponse::toByteArray(const QDateTime& now) const
{
    return head(now) + body;
}

QByteArray HttpResponse::reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 307:
        return "Temporary Redirect";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 411:
        return "Length Required";
    case 413:
        return "Request Entity Too Large";
    case 422:
        return "Unprocessable Entity";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

QByteArray HttpResponse::httpDate(const QDateTime& time)
{
    return QLocale::c().toString(time.toUTC(), u"ddd, dd MMM yyyy hh:mm:ss 'GMT'"_s).toLatin1();
}

HttpResponse HttpResponse::plainText(int status, const QByteArray& text)
{
    HttpResponse response;
    response.status = status;
    response.contentType = QByteArrayLiteral("text/plain; charset=utf-8");
    response.body = text;
    return response;
}

} // namespace aimload
