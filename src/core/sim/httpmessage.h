#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QDateTime>
#include <QList>
#include <QString>

#include <utility>

namespace aimload {

using HttpHeaders = QList<std::pair<QByteArray, QByteArray>>;

// One parsed HTTP/1.x request. Header names are stored in lower case.
struct HttpRequest
{
    QByteArray method;
    QByteArray target;
    int versionMinor = 1;
    HttpHeaders headers;
    QByteArray body;

    QByteArray header(QByteArrayView name) const;
    bool hasHeader(QByteArrayView name) const;
    bool keepAlive() const;
    QByteArray path() const; // target without the query, still percent-encoded
    QByteArray query() const; // after '?', without it
};

// Incremental parser for requests with a Content-Length body (or none). Bytes can
// arrive in any split: feed() what the socket gives and call next() until it
// answers NeedMore. Pipelined requests stay buffered until they are asked for.
class HttpRequestParser
{
public:
    static constexpr qsizetype MaxHeaderBytes = 64 * 1024;
    static constexpr qsizetype MaxBodyBytes = 1024 * 1024;

    enum class Result
    {
        NeedMore,
        Ready,
        Error
    };

    void feed(QByteArrayView data);
    Result next(HttpRequest& request);

    // After Error: the status to answer with (400, 411, 413, 431) and why.
    int errorStatus() const { return m_errorStatus; }
    QString errorString() const { return m_errorString; }
    qsizetype bufferedBytes() const { return m_buffer.size(); }

private:
    Result fail(int status, const QString& reason);
    qsizetype findHeadEnd();
    Result parseHead(QByteArrayView head);
    Result parseRequestLine(QByteArrayView line);
    Result parseHeaderLine(QByteArrayView line);
    Result checkFraming();

    QByteArray m_buffer;
    qsizetype m_scanned = 0;
    bool m_inBody = false;
    qsizetype m_bodyLength = 0;
    HttpRequest m_request;
    int m_errorStatus = 0;
    QString m_errorString;
};

// An answer, serialised the way uvicorn writes it: date and server first, then
// the route's headers, content-length and content-type.
struct HttpResponse
{
    int status = 200;
    QByteArray contentType = QByteArrayLiteral("application/json");
    HttpHeaders headers;
    QByteArray body;
    bool closeConnection = false;

    QByteArray head(const QDateTime& now = QDateTime::currentDateTimeUtc()) const;
    QByteArray toByteArray(const QDateTime& now = QDateTime::currentDateTimeUtc()) const;

    static QByteArray reasonPhrase(int status);
    static QByteArray httpDate(const QDateTime& time);
    static HttpResponse plainText(int status, const QByteArray& text);
};

} // namespace aimload
