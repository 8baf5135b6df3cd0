#pragma once

#include <QElapsedTimer>
#include <QHostAddress>
#include <QMap>
#include <QObject>
#include <QStringList>
#include <QUrl>

#include <memory>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

class QTcpServer;

namespace aimload {

struct HttpRequest;
struct HttpResponse;

// An HTTP/1.1 server on loopback that behaves like the demo's AI agent (see
// docs: agent-api.md): the same routes, FastAPI-shaped errors, per-model queueing
// and uvicorn's keep-alive. Faults make it misbehave on purpose for tests and demos.
class SimulatedAgent : public QObject
{
    Q_OBJECT

public:
    // Faults other than Refuse and Hang affect POST /chat and POST /repair only and
    // answer at once, without waiting for a model.
    enum class Fault
    {
        None,
        Refuse, // stop listening and drop every connection; clearing it listens again
        Hang, // read requests on every route but never answer them
        ResetBeforeAnswer,
        ResetMidBody, // headers and half the body, then a TCP reset
        Http500,
        Http422,
        Http502,
        NotJson, // 200 with an HTML page
        TruncatedJson, // 200, half a JSON body, content-length matching the half
        WrongShape, // 200 with valid JSON lacking the route's fields
        EmptyBody, // 200 with content-length 0
        Redirect307, // to the same path with a trailing slash
        RepairFailure, // /repair answers 200 with "success": false
    };
    Q_ENUM(Fault)

    static constexpr quint64 DefaultSeed = 0x61696d6c6f6164;

    explicit SimulatedAgent(QObject* parent = nullptr);
    ~SimulatedAgent() override;

    bool listen(const QHostAddress& address = QHostAddress::LocalHost, quint16 port = 0);
    void close();
    bool isListening() const { return m_listening; }
    quint16 port() const { return m_port; }
    QUrl url() const; // "http://127.0.0.1:<port>", empty before listen()
    QString errorString() const { return m_errorString; }

    void setSpeed(double speed); // simulated delays are divided by it
    double speed() const { return m_speed; }
    void setFailureRate(double probability); // /chat or /repair answers 500
    double failureRate() const { return m_failureRate; }
    void setAgentFailureRate(double probability); // /repair answers "success": false
    double agentFailureRate() const { return m_agentFailureRate; }
    void setSeed(quint64 seed);
    void setFault(Fault fault);
    Fault fault() const { return m_fault; }
    void setKeepAliveTimeout(int milliseconds); // real time, not divided by speed
    int keepAliveTimeout() const { return m_keepAliveTimeout; }

    int requestCount() const { return m_requestCount; }
    int connectionCount() const { return m_connectionCount; } // accepted since construction
    int openConnectionCount() const { return int(m_connections.size()); }
    int queuedCount(QChar model) const; // waiting or running on model 'a' or 'b'

    static QString faultName(Fault fault); // "none", "reset-mid-body", ...
    static std::optional<Fault> faultFromName(QStringView name);
    static QStringList faultNames();
    static QString modelName(QChar model); // "mistral:7b-instruct-v0.3" for 'a'

Q_SIGNALS:
    void requestReceived(const QString& method, const QString& target, const QByteArray& body);
    // status is 0 when the connection was reset instead of answered.
    void requestAnswered(const QString& method, const QString& target, int status);

private:
    struct Connection;
    struct Job;
    struct Lane;

    Connection* connection(quint64 id) const;
    void onNewConnection();
    void onReadyRead(quint64 id);
    void processBuffered(quint64 id);
    void dropConnection(quint64 id);
    void dropAllConnections();
    void armIdleTimer(Connection* connection);
    void send(quint64 id, HttpResponse response);
    void reset(quint64 id, const QByteArray& partial);

    void dispatch(quint64 id, const HttpRequest& request);
    void answerWithFault(quint64 id, bool chat, const HttpRequest& request);
    void handleChat(quint64 id, const HttpRequest& request);
    void handleRepair(quint64 id, const HttpRequest& request);
    HttpResponse statusResponse() const;
    HttpResponse metricsResponse() const;

    void enqueue(int model, Job job);
    void startNext(int model);
    void finishJob(int model);
    void clearLanes();

    double nextUniform();
    qint64 scaledMilliseconds(double seconds) const;
    double uptimeSeconds() const;

    QTcpServer* m_server = nullptr;
    QHostAddress m_address;
    quint16 m_port = 0;
    bool m_listening = false;
    QString m_errorString;

    double m_speed = 1.0;
    double m_failureRate = 0.03;
    double m_agentFailureRate = 0.05;
    Fault m_fault = Fault::None;
    int m_keepAliveTimeout = 5000;
    std::mt19937_64 m_random {DefaultSeed};

    std::unordered_map<quint64, std::unique_ptr<Connection>> m_connections;
    std::vector<Lane> m_lanes;
    quint64 m_lastConnectionId = 0;
    int m_requestCount = 0;
    int m_connectionCount = 0;
    QMap<int, int> m_statusCounts;
    QElapsedTimer m_clock;
};

} // namespace aimload
