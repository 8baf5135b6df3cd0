#pragma once

#include <QByteArray>
#include <QByteArrayList>
#include <QDateTime>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUrl>

#include <algorithm>
#include <chrono>
#include <memory>
#include <utility>

namespace aimload::test {

// One request as it arrived on the socket, byte for byte.
struct CapturedRequest
{
    QByteArray head; // request line and header lines, without the blank line after them
    QByteArray body;
    QDateTime receivedAt; // wall clock, UTC, when its last byte arrived

    QByteArray requestLine() const { return head.left(head.indexOf("\r\n")); }

    QByteArrayList headerLines() const
    {
        QByteArrayList lines = head.split('\n');
        lines.removeFirst();
        for (QByteArray& line : lines)
            line = line.trimmed();
        return lines;
    }

    QByteArrayList headerValues(QByteArrayView name) const
    {
        QByteArrayList values;
        const QByteArrayList lines = headerLines();
        for (const QByteArray& line : lines) {
            const qsizetype colon = line.indexOf(':');
            if (colon > 0 && line.left(colon).compare(name, Qt::CaseInsensitive) == 0)
                values.append(line.mid(colon + 1).trimmed());
        }
        return values;
    }

    QByteArray header(QByteArrayView name) const
    {
        const QByteArrayList values = headerValues(name);
        return values.isEmpty() ? QByteArray() : values.first();
    }

    bool hasHeader(QByteArrayView name) const { return !headerValues(name).isEmpty(); }
};

// A loopback HTTP/1.1 server for byte-level client tests. It captures every request
// whole (head and Content-Length body) and answers with canned bytes: at once, after a
// delay, only when released, or as a long body written only as fast as the client reads.
class RawHttpServer : public QObject
{
    Q_OBJECT

public:
    explicit RawHttpServer(QObject* parent = nullptr)
        : QObject(parent)
    {
        connect(&m_server, &QTcpServer::newConnection, this, &RawHttpServer::onNewConnection);
    }

    bool listen() { return m_server.listen(QHostAddress::LocalHost); }

    QUrl url() const
    {
        QUrl url;
        url.setScheme(QStringLiteral("http"));
        url.setHost(QStringLiteral("127.0.0.1"));
        url.setPort(m_server.serverPort());
        return url;
    }

    static QByteArray response(int status, const QByteArray& reason, const QByteArray& body)
    {
        return "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason
            + "\r\nContent-Type: application/json\r\nContent-Length: "
            + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    }

    void setResponse(const QByteArray& bytes) { m_response = bytes; }
    void setDelay(std::chrono::milliseconds delay) { m_delay = delay; }
    // Keeps every answer back until releaseHeld().
    void setHold(bool hold) { m_hold = hold; }
    // Answers 200 with size filler bytes, framed by Content-Length or by closing.
    void setStreamedBody(qint64 size, bool withLength)
    {
        m_streamSize = size;
        m_streamWithLength = withLength;
    }

    void releaseHeld()
    {
        const auto held = std::exchange(m_held, {});
        for (const QPointer<QTcpSocket>& socket : held) {
            if (socket)
                answer(socket);
        }
    }

    int acceptedCount() const { return m_accepted; }
    int openCount() const { return m_open; }
    const QList<CapturedRequest>& requests() const { return m_requests; }
    qint64 streamedBytes() const { return m_streamed; }
    // Bytes received on any connection after its last complete request.
    qint64 strayBytes() const
    {
        qint64 total = 0;
        const QList<QTcpSocket*> sockets = findChildren<QTcpSocket*>();
        for (const QTcpSocket* socket : sockets)
            total += socket->property(BufferProperty).toByteArray().size();
        return total;
    }

Q_SIGNALS:
    void requestCaptured();

private:
    static constexpr const char* BufferProperty = "rawBuffer";
    static constexpr qint64 StreamChunk = 64 * 1024;

    void onNewConnection()
    {
        while (QTcpSocket* socket = m_server.nextPendingConnection()) {
            socket->setParent(this);
            ++m_accepted;
            ++m_open;
            connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
            connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
                --m_open;
                socket->deleteLater();
            });
        }
    }

    void onReadyRead(QTcpSocket* socket)
    {
        QByteArray buffer = socket->property(BufferProperty).toByteArray() + socket->readAll();
        while (true) {
            const qsizetype headEnd = buffer.indexOf("\r\n\r\n");
            if (headEnd < 0)
                break;
            CapturedRequest request;
            request.head = buffer.left(headEnd);
            const qsizetype length = request.header("content-length").toLongLong();
            if (buffer.size() < headEnd + 4 + length)
                break;
            request.body = buffer.mid(headEnd + 4, length);
            request.receivedAt = QDateTime::currentDateTimeUtc();
            buffer.remove(0, headEnd + 4 + length);
            m_requests.append(request);
            Q_EMIT requestCaptured();
            respond(socket);
        }
        socket->setProperty(BufferProperty, buffer);
    }

    void respond(QTcpSocket* socket)
    {
        if (m_hold) {
            m_held.append(socket);
            return;
        }
        if (m_delay.count() > 0) {
            QTimer::singleShot(
                m_delay, Qt::PreciseTimer, socket, [this, socket] { answer(socket); });
            return;
        }
        answer(socket);
    }

    void answer(QTcpSocket* socket)
    {
        if (m_streamSize <= 0) {
            socket->write(m_response);
            return;
        }

        QByteArray head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";
        head += m_streamWithLength ? "Content-Length: " + QByteArray::number(m_streamSize) + "\r\n"
                                   : QByteArray("Connection: close\r\n");
        socket->write(head + "\r\n");
        auto remaining = std::make_shared<qint64>(m_streamSize);
        const auto pump = [this, socket, remaining] {
            // Writes only while the kernel takes it, so the server never holds the body.
            static const QByteArray chunk(StreamChunk, 'x');
            while (*remaining > 0 && socket->bytesToWrite() < 4 * StreamChunk) {
                const qint64 size = std::min(*remaining, StreamChunk);
                socket->write(chunk.constData(), size);
                *remaining -= size;
                m_streamed += size;
            }
            if (*remaining == 0 && !m_streamWithLength) {
                *remaining = -1;
                socket->disconnectFromHost();
            }
        };
        connect(socket, &QTcpSocket::bytesWritten, socket, pump);
        pump();
    }

    QTcpServer m_server;
    QByteArray m_response = response(200, "OK", "{}");
    std::chrono::milliseconds m_delay {0};
    bool m_hold = false;
    qint64 m_streamSize = 0;
    bool m_streamWithLength = true;
    QList<QPointer<QTcpSocket>> m_held;
    QList<CapturedRequest> m_requests;
    int m_accepted = 0;
    int m_open = 0;
    qint64 m_streamed = 0;
};

} // namespace aimload::test
