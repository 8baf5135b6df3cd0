#include "web/guardedtcpserver.h"

#include "web/weblogging.h"

#include <QByteArrayView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QTcpSocket>
#include <QTimer>

#include <algorithm>
#include <optional>

#if defined(Q_OS_WIN)
#include <winsock2.h>
#elif defined(Q_OS_UNIX)
#include <sys/socket.h>
#endif

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

struct Verdict
{
    enum class Kind
    {
        NeedMore,
        Complete,
        Reject
    };

    Kind kind = Kind::NeedMore;
    int status = 0;
    QString reason;
};

Verdict rejectWith(int status, const QString& reason)
{
    return {Verdict::Kind::Reject, status, reason};
}

bool isTokenChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

bool isVisible(char c)
{
    return c >= 0x21 && c <= 0x7e;
}

bool isFieldValueChar(char c)
{
    const auto u = uchar(c);
    return c == '\t' || (u >= 0x20 && u != 0x7f);
}

bool isKnownMethod(QByteArrayView method)
{
    static const QByteArrayView methods[]
        = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};
    return std::find(std::begin(methods), std::end(methods), method) != std::end(methods);
}

// Checks the start of a request line that has not ended yet, so that garbage is refused
// at once rather than when the request times out.
std::optional<Verdict> screenPartialLine(
    QByteArrayView line, const GuardedTcpServer::Limits& limits)
{
    if (line.endsWith('\r'))
        line.chop(1);
    const qsizetype space = line.indexOf(' ');
    const QByteArrayView method = space < 0 ? line : line.first(space);
    for (const char c : method) {
        if (c < 'A' || c > 'Z')
            return rejectWith(400, GuardedTcpServer::tr("malformed request line"));
    }
    for (const char c : line) {
        if (c != ' ' && !isVisible(c))
            return rejectWith(400, GuardedTcpServer::tr("malformed request line"));
    }
    if (line.size() > limits.maxTargetBytes + 32)
        return rejectWith(414, GuardedTcpServer::tr("the request target is too long"));
    return std::nullopt;
}

std::optional<Verdict> screenRequestLine(
    QByteArrayView line, const GuardedTcpServer::Limits& limits)
{
    const qsizetype first = line.indexOf(' ');
    const qsizetype last = line.lastIndexOf(' ');
    if (first <= 0 || last <= first + 1 || line.contains('\r') || line.contains('\n'))
        return rejectWith(400, GuardedTcpServer::tr("malformed request line"));

    const QByteArrayView method = line.first(first);
    const QByteArrayView target = line.sliced(first + 1, last - first - 1);
    const QByteArrayView version = line.sliced(last + 1);
    if (auto partial = screenPartialLine(line, limits))
        return partial;
    if (target.size() > limits.maxTargetBytes)
        return rejectWith(414, GuardedTcpServer::tr("the request target is too long"));
    if (!target.startsWith('/') || target.contains(' '))
        return rejectWith(400, GuardedTcpServer::tr("the request target must be a path"));
    if (version != "HTTP/1.1" && version != "HTTP/1.0") {
        if (version.startsWith("HTTP/"))
            return rejectWith(505, GuardedTcpServer::tr("only HTTP/1.0 and HTTP/1.1 are served"));
        return rejectWith(400, GuardedTcpServer::tr("malformed request line"));
    }
    if (!isKnownMethod(method))
        return rejectWith(501, GuardedTcpServer::tr("unsupported method"));
    return std::nullopt;
}

struct HeaderScreen
{
    std::optional<qsizetype> contentLength;
};

std::optional<Verdict> screenHeaderLine(QByteArrayView line, HeaderScreen& screen)
{
    const qsizetype colon = line.indexOf(':');
    if (colon <= 0)
        return rejectWith(400, GuardedTcpServer::tr("malformed header line"));
    const QByteArrayView name = line.first(colon);
    const QByteArrayView value = line.sliced(colon + 1).trimmed();
    if (!std::all_of(name.begin(), name.end(), isTokenChar)
        || !std::all_of(value.begin(), value.end(), isFieldValueChar))
        return rejectWith(400, GuardedTcpServer::tr("malformed header line"));

    if (name.compare("transfer-encoding", Qt::CaseInsensitive) == 0)
        return rejectWith(
            411, GuardedTcpServer::tr("send a Content-Length, not a transfer coding"));
    if (name.compare("upgrade", Qt::CaseInsensitive) == 0)
        return rejectWith(400, GuardedTcpServer::tr("protocol upgrades are not supported"));
    if (name.compare("content-length", Qt::CaseInsensitive) != 0)
        return std::nullopt;

    bool ok = value.size() <= 18 && !value.isEmpty();
    const qsizetype length = ok ? value.toLongLong(&ok) : 0;
    if (!ok || length < 0
        || !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return rejectWith(400, GuardedTcpServer::tr("malformed Content-Length"));
    if (screen.contentLength && *screen.contentLength != length)
        return rejectWith(400, GuardedTcpServer::tr("conflicting Content-Length headers"));
    screen.contentLength = length;
    return std::nullopt;
}

// Checks a complete request head: the request line, then each header line.
std::optional<Verdict> screenHead(
    QByteArrayView head, const GuardedTcpServer::Limits& limits, HeaderScreen& screen)
{
    qsizetype lineEnd = head.indexOf("\r\n");
    if (auto verdict = screenRequestLine(head.first(lineEnd < 0 ? head.size() : lineEnd), limits))
        return verdict;

    int headers = 0;
    while (lineEnd >= 0) {
        const qsizetype lineStart = lineEnd + 2;
        lineEnd = head.indexOf("\r\n", lineStart);
        const QByteArrayView line
            = head.sliced(lineStart, (lineEnd < 0 ? head.size() : lineEnd) - lineStart);
        if (++headers > limits.maxHeaders)
            return rejectWith(431, GuardedTcpServer::tr("too many request headers"));
        if (line.startsWith(' ') || line.startsWith('\t'))
            return rejectWith(400, GuardedTcpServer::tr("folded header lines are not supported"));
        if (auto verdict = screenHeaderLine(line, screen))
            return verdict;
    }
    return std::nullopt;
}

// Decides about the bytes a connection has sent so far: wait for more, hand the request
// over, or refuse it with a status and a reason.
Verdict screenRequest(QByteArrayView data, const GuardedTcpServer::Limits& limits)
{
    const qsizetype headEnd = data.indexOf("\r\n\r\n");
    if (headEnd < 0 || headEnd + 4 > limits.maxHeadBytes) {
        const qsizetype lineEnd = data.indexOf("\r\n");
        const std::optional<Verdict> verdict = lineEnd < 0
            ? screenPartialLine(data, limits)
            : screenRequestLine(data.first(lineEnd), limits);
        if (verdict)
            return *verdict;
        if (data.size() > limits.maxHeadBytes)
            return rejectWith(431, GuardedTcpServer::tr("the request headers are too large"));
        return {};
    }

    const QByteArrayView head = data.first(headEnd);
    if (head.contains('\0') || head.count('\n') != head.count("\r\n")
        || head.count('\r') != head.count("\r\n"))
        return rejectWith(400, GuardedTcpServer::tr("lines must end with CR LF"));

    HeaderScreen screen;
    if (auto verdict = screenHead(head, limits, screen))
        return *verdict;

    const qsizetype bodyLength = screen.contentLength.value_or(0);
    if (bodyLength > limits.maxBodyBytes)
        return rejectWith(413, GuardedTcpServer::tr("the request body is too large"));
    const qsizetype total = headEnd + 4 + bodyLength;
    if (data.size() < total)
        return {};
    if (data.size() > total)
        return rejectWith(
            400, GuardedTcpServer::tr("one request per connection; pipelining is not supported"));
    return {Verdict::Kind::Complete, 0, {}};
}

constexpr std::chrono::milliseconds LingerTimeout {std::chrono::seconds(2)};

void shutdownWriting(QTcpSocket* socket)
{
#if defined(Q_OS_WIN)
    ::shutdown(SOCKET(socket->socketDescriptor()), SD_SEND);
#elif defined(Q_OS_UNIX)
    ::shutdown(int(socket->socketDescriptor()), SHUT_WR);
#else
    socket->disconnectFromHost();
#endif
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 400:
        return "Bad Request"_ba;
    case 408:
        return "Request Timeout"_ba;
    case 411:
        return "Length Required"_ba;
    case 413:
        return "Content Too Large"_ba;
    case 414:
        return "URI Too Long"_ba;
    case 431:
        return "Request Header Fields Too Large"_ba;
    case 501:
        return "Not Implemented"_ba;
    case 503:
        return "Service Unavailable"_ba;
    case 505:
        return "HTTP Version Not Supported"_ba;
    }
    return "Error"_ba;
}

} // namespace

GuardedTcpServer::GuardedTcpServer(QObject* parent)
    : QTcpServer(parent)
{ }

GuardedTcpServer::~GuardedTcpServer()
{
    // The sockets outlive this destructor as children of the QObject base; they must not
    // call back into members that are already gone.
    const QList<QTcpSocket*> sockets = findChildren<QTcpSocket*>(Qt::FindDirectChildrenOnly);
    for (QTcpSocket* socket : sockets)
        socket->disconnect(this);
}

QByteArray GuardedTcpServer::errorResponse(int status, const QString& reason)
{
    const QByteArray body = QJsonDocument(QJsonObject {{u"error"_s, reason}, {u"status"_s, status}})
                                .toJson(QJsonDocument::Compact)
        + '\n';
    return "HTTP/1.1 "_ba + QByteArray::number(status) + ' ' + reasonPhrase(status)
        + "\r\nContent-Type: application/json\r\nContent-Length: "_ba
        + QByteArray::number(body.size())
        + "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"_ba + body;
}

void GuardedTcpServer::incomingConnection(qintptr handle)
{
    auto* socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(handle)) {
        qCWarning(lcWeb) << "cannot take an incoming connection:" << socket->errorString();
        delete socket;
        return;
    }

    ++m_openConnections;
    connect(socket, &QObject::destroyed, this, [this] { --m_openConnections; });
    connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    QTimer::singleShot(m_limits.connectionTimeout, socket, &QTcpSocket::abort);
    if (m_openConnections > m_limits.maxConnections) {
        reject(socket, 503, tr("too many open connections"));
        return;
    }

    // Holds a little more than a request may have, so an oversized one shows at once.
    socket->setReadBufferSize(m_limits.maxHeadBytes + m_limits.maxBodyBytes + 1);
    m_screening.insert(socket);
    connect(socket, &QTcpSocket::readyRead, this, [this, socket] { screen(socket); });
    QTimer::singleShot(m_limits.requestTimeout, socket, [this, socket] {
        if (m_screening.contains(socket))
            reject(socket, 408, tr("the request did not arrive in time"));
    });
}

void GuardedTcpServer::screen(QTcpSocket* socket)
{
    const QByteArray data = socket->peek(socket->bytesAvailable());
    const Verdict verdict = screenRequest(data, m_limits);
    switch (verdict.kind) {
    case Verdict::Kind::NeedMore:
        return;
    case Verdict::Kind::Reject:
        reject(socket, verdict.status, verdict.reason);
        return;
    case Verdict::Kind::Complete:
        handOver(socket);
        return;
    }
}

void GuardedTcpServer::reject(QTcpSocket* socket, int status, const QString& reason)
{
    qCDebug(lcWeb) << "refused a request from" << socket->peerAddress().toString() << "with"
                   << status << reason;
    m_screening.remove(socket);
    disconnect(socket, &QTcpSocket::readyRead, this, nullptr);
    socket->write(errorResponse(status, reason));
    lingerAndClose(socket);
}

void GuardedTcpServer::lingerAndClose(QTcpSocket* socket)
{
    // Closing a socket with unread input makes the kernel reset the connection, and the
    // client can lose the answer with it. So only the sending side is shut once the answer
    // is out; the input is dropped until the client closes or the deadline passes.
    socket->setReadBufferSize(0);
    const auto drain = [socket] {
        socket->skip(socket->bytesAvailable());
    };
    drain();
    connect(socket, &QTcpSocket::readyRead, socket, drain);
    connect(socket, &QTcpSocket::bytesWritten, socket, [socket] {
        if (socket->bytesToWrite() == 0)
            shutdownWriting(socket);
    });
    QTimer::singleShot(LingerTimeout, socket, &QTcpSocket::abort);
}

void GuardedTcpServer::handOver(QTcpSocket* socket)
{
    m_screening.remove(socket);
    disconnect(socket, &QTcpSocket::readyRead, this, nullptr);

    // QHttpServer takes the socket on newConnection and then waits for readyRead, but the
    // request is already buffered and no further readyRead would come: announce it again.
    // The routes answer synchronously, so the answer is written when the emit returns.
    QPointer<QTcpSocket> guard(socket);
    addPendingConnection(socket);
    Q_EMIT newConnection();
    if (guard)
        Q_EMIT guard->readyRead();
    if (guard)
        guard->disconnectFromHost();
}

} // namespace aimload
