#pragma once

#include <QByteArray>
#include <QSet>
#include <QTcpServer>

#include <chrono>

class QTcpSocket;

namespace aimload {

// Accepts connections for a QHttpServer, but hands one over only once a complete,
// well-formed request within the limits has arrived on it, and answers anything else
// itself with a 4xx. Qt 6.4's QHttpServer closes the connection on a malformed request
// without an answer, buffers headers and bodies of any size, and serves any number of
// requests per connection; behind this guard every connection carries one checked request
// and is closed after its answer.
class GuardedTcpServer : public QTcpServer
{
    Q_OBJECT

public:
    struct Limits
    {
        qsizetype maxHeadBytes = 32 * 1024; // request line and headers
        qsizetype maxTargetBytes = 4 * 1024;
        qsizetype maxBodyBytes = 16 * 1024;
        int maxHeaders = 100;
        int maxConnections = 64;
        std::chrono::milliseconds requestTimeout {std::chrono::seconds(10)};
        std::chrono::milliseconds connectionTimeout {std::chrono::seconds(60)};
    };

    explicit GuardedTcpServer(QObject* parent = nullptr);
    ~GuardedTcpServer() override;

    void setLimits(const Limits& limits) { m_limits = limits; }
    const Limits& limits() const { return m_limits; }
    int openConnections() const { return m_openConnections; }

    // A complete error answer that closes the connection, with a JSON body
    // {"error": reason, "status": status}.
    static QByteArray errorResponse(int status, const QString& reason);

protected:
    void incomingConnection(qintptr handle) override;

private:
    void screen(QTcpSocket* socket);
    void reject(QTcpSocket* socket, int status, const QString& reason);
    void handOver(QTcpSocket* socket);
    void lingerAndClose(QTcpSocket* socket);

    Limits m_limits;
    QSet<QTcpSocket*> m_screening;
    int m_openConnections = 0;
};

} // namespace aimload
