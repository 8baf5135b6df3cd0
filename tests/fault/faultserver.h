#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUrl>

#include <chrono>
#include <memory>

#ifdef Q_OS_UNIX
#include <sys/socket.h>
#endif

namespace aimload::test {

// A loopback HTTP/1.1 server that misbehaves in ways SimulatedAgent does not: it follows a
// script, one step per POST request (the last step repeats), and counts what it saw.
// GET /health always answers 200 and is not counted.
class FaultServer : public QObject
{
    Q_OBJECT

public:
    enum class Action
    {
        Answer, // write the step's bytes and keep the connection open
        Close, // close without a byte of answer (FIN)
        Reset, // close with a TCP reset
        ResetAfterBytes, // write the step's bytes (a part of an answer), then reset
        CloseAfterBytes, // write the step's bytes (a part of an answer), then close (FIN)
        Hang, // never answer
        Drip, // the step's bytes, one byte per dripInterval, until the client leaves
        Stream, // 200 with a streamBytes body, written only as fast as the client reads
        // Answer on a fresh connection; a request on a connection that already carried one
        // is dropped unanswered, as if the server's idle timeout won the race against it.
        CloseReused,
    };

    struct Step
    {
        Action action = Action::Answer;
        QByteArray bytes;
    };

    explicit FaultServer(QObject* parent = nullptr)
        : QObject(parent)
    {
        connect(&m_server, &QTcpServer::newConnection, this, &FaultServer::onNewConnection);
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

    static QByteArray response(int status, const QByteArray& reason, const QByteArray& body,
        const QByteArray& extraHeaders = {})
    {
        return "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason
            + "\r\nContent-Type: application/json\r\n" + extraHeaders
            + "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    }

    static Step answer(const QByteArray& bytes) { return {Action::Answer, bytes}; }
    static Step step(Action action, const QByteArray& bytes = {}) { return {action, bytes}; }

    void setScript(QList<Step> script) { m_script = std::move(script); }
    void setDripInterval(std::chrono::milliseconds interval) { m_dripInterval = interval; }
    void setStreamBytes(qint64 bytes) { m_streamBytes = bytes; }

    int requestCount() const { return m_requests; } // POST requests, complete
    // Requests told apart by their traceparent header: a request the client library sent
    // again after its connection broke carries the same one.
    int distinctRequestCount() const { return int(m_traceparents.size()); }
    int answeredCount() const { return m_answered; } // answered in full
    int acceptedCount() const { return m_accepted; }
    int droppedReusedCount() const { return m_droppedReused; }
    qint64 streamedBytes() const { return m_streamed; }
    qint64 drippedBytes() const { return m_dripped; }

Q_SIGNALS:
    void requestSeen(int index);

private:
    static constexpr const char* BufferProperty = "faultBuffer";
    static constexpr const char* ServedProperty = "faultServed";
    static constexpr qint64 StreamChunk = 64 * 1024;

    void onNewConnection()
    {
        while (QTcpSocket* socket = m_server.nextPendingConnection()) {
            socket->setParent(this);
            ++m_accepted;
            connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        }
    }

    void onReadyRead(QTcpSocket* socket)
    {
        QByteArray buffer = socket->property(BufferProperty).toByteArray() + socket->readAll();
        while (socket->state() == QAbstractSocket::ConnectedState) {
            const qsizetype headEnd = buffer.indexOf("\r\n\r\n");
            if (headEnd < 0)
                break;
            const QByteArray head = buffer.left(headEnd);
            const qsizetype length = headerValue(head, "content-length").toLongLong();
            if (buffer.size() < headEnd + 4 + length)
                break;
            buffer.remove(0, headEnd + 4 + length);
            if (head.startsWith("GET /health ")) {
                socket->write(response(200, "OK", R"({"status":"healthy"})"));
                continue;
            }
            const QByteArray traceparent = headerValue(head, "traceparent");
            m_traceparents.insert(
                traceparent.isEmpty() ? QByteArray::number(m_requests) : traceparent);
            respond(socket);
        }
        socket->setProperty(BufferProperty, buffer);
    }

    static QByteArray headerValue(const QByteArray& head, const QByteArray& name)
    {
        const QList<QByteArray> lines = head.split('\n');
        for (const QByteArray& line : lines) {
            if (line.toLower().startsWith(QByteArray(name + ':')))
                return line.mid(name.size() + 1).trimmed();
        }
        return {};
    }

    void respond(QTcpSocket* socket)
    {
        const int index = m_requests++;
        const Step step = m_script.isEmpty()
            ? Step {}
            : m_script.at(std::min<qsizetype>(index, m_script.size() - 1));
        const bool reused = socket->property(ServedProperty).toBool();
        socket->setProperty(ServedProperty, true);
        Q_EMIT requestSeen(index);

        switch (step.action) {
        case Action::CloseReused:
            if (reused) {
                ++m_droppedReused;
                socket->close();
                return;
            }
            [[fallthrough]];
        case Action::Answer:
            socket->write(step.bytes);
            ++m_answered;
            return;
        case Action::Close:
            socket->close();
            return;
        case Action::Reset:
            reset(socket);
            return;
        case Action::ResetAfterBytes:
            socket->write(step.bytes);
            socket->flush();
            // Let the bytes reach the client before the reset discards what is unsent.
            QTimer::singleShot(50, socket, [socket] { reset(socket); });
            return;
        case Action::CloseAfterBytes:
            socket->write(step.bytes);
            socket->flush();
            // The client reads the part first, then learns of the close.
            QTimer::singleShot(50, socket, [socket] { socket->disconnectFromHost(); });
            return;
        case Action::Hang:
            return;
        case Action::Drip:
            drip(socket, step.bytes);
            return;
        case Action::Stream:
            stream(socket);
            return;
        }
    }

    static void reset(QTcpSocket* socket)
    {
#ifdef Q_OS_UNIX
        const linger option {1, 0};
        ::setsockopt(
            int(socket->socketDescriptor()), SOL_SOCKET, SO_LINGER, &option, sizeof option);
#endif
        socket->abort();
    }

    void drip(QTcpSocket* socket, const QByteArray& bytes)
    {
        auto* timer = new QTimer(socket);
        auto offset = std::make_shared<qsizetype>(0);
        connect(timer, &QTimer::timeout, socket, [this, socket, timer, bytes, offset] {
            if (*offset >= bytes.size()) {
                timer->stop();
                return;
            }
            socket->write(bytes.mid((*offset)++, 1));
            ++m_dripped;
        });
        timer->start(m_dripInterval);
    }

    void stream(QTcpSocket* socket)
    {
        socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + QByteArray::number(m_streamBytes) + "\r\n\r\n");
        auto remaining = std::make_shared<qint64>(m_streamBytes);
        const auto pump = [this, socket, remaining] {
            // Writes only while the kernel takes it, so the server never holds the body.
            static const QByteArray chunk(StreamChunk, 'x');
            while (*remaining > 0 && socket->bytesToWrite() < 4 * StreamChunk) {
                const qint64 size = std::min(*remaining, StreamChunk);
                socket->write(chunk.constData(), size);
                *remaining -= size;
                m_streamed += size;
            }
        };
        connect(socket, &QTcpSocket::bytesWritten, socket, pump);
        pump();
    }

    QTcpServer m_server;
    QList<Step> m_script;
    QSet<QByteArray> m_traceparents;
    std::chrono::milliseconds m_dripInterval {1000};
    qint64 m_streamBytes = 0;
    int m_requests = 0;
    int m_answered = 0;
    int m_accepted = 0;
    int m_droppedReused = 0;
    qint64 m_streamed = 0;
    qint64 m_dripped = 0;
};

} // namespace aimload::test
