#pragma once

#include "agent/requestsender.h"

#include <QElapsedTimer>
#include <QHash>
#include <QNetworkRequest>
#include <QObject>
#include <QUrl>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <vector>

class QNetworkAccessManager;
class QNetworkReply;
class QTimer;

namespace aimload {

struct ClientSettings
{
    QUrl baseUrl;
    std::chrono::milliseconds chatTimeout {std::chrono::seconds(660)};
    std::chrono::milliseconds repairTimeout {std::chrono::seconds(660)};
    std::chrono::milliseconds healthTimeout {std::chrono::seconds(5)};
    qint64 maxResponseBytes = 8 * 1024 * 1024;
};

// Sends the requests the engine plans to the agent and classifies each answer.
// QNetworkAccessManager opens at most six connections per host and queues the rest,
// so the client spreads requests over as many managers as it takes for every request
// in flight to have a connection of its own.
class AgentClient : public RequestSender
{
    Q_OBJECT

public:
    static constexpr int RequestsPerManager = 6;

    explicit AgentClient(ClientSettings settings, QObject* parent = nullptr);
    ~AgentClient() override;

    const ClientSettings& settings() const { return m_settings; }

    // Sends the request that record describes (prompt, model, endpoint, workflow).
    // record.id must be unique among requests in flight.
    void send(RequestRecord record) override;
    void cancel(quint64 id) override;
    void cancelAll() override;
    int inFlight() const override { return int(m_pending.size()); }
    void probeHealth() override;

    static QByteArray chatBody(const QString& message, Model model);
    QUrl requestUrl(const RequestRecord& record) const;

private:
    struct Pending;

    QNetworkAccessManager* freeManager();
    QNetworkRequest newRequest(const RequestRecord& record);
    QByteArray cachedChatBody(const QString& message, Model model);
    void markSent(QNetworkReply* reply);
    void onFinished(QNetworkReply* reply);
    void classifyAnswer(QNetworkReply* reply, const QByteArray& body, RequestRecord& record) const;
    void finish(QNetworkReply* reply, Outcome forced, const QString& reason);
    void onHealthFinished(QNetworkReply* reply, QTimer* deadline);
    void armDeadlines(qint64 deadlineNs);
    void onDeadlineTimer();

    ClientSettings m_settings;
    std::vector<QNetworkAccessManager*> m_managers;
    QHash<QNetworkAccessManager*, int> m_load;
    QHash<QNetworkReply*, std::shared_ptr<Pending>> m_pending;
    QHash<quint64, QNetworkReply*> m_byId;
    QElapsedTimer m_monotonic;
    // Every chat request starts from the same one: built once, copied on write.
    std::optional<QNetworkRequest> m_chatRequest;
    // Bodies of the messages sent lately, per model: a pool repeats a few prompts.
    QHash<QString, QByteArray> m_chatBodies[2];
    // The deadlines of the requests in flight, earliest first (equal ones in the order
    // sent), behind one timer: a timer per request costs an object and a registration
    // each. The timer is due at or before the earliest deadline, never after it.
    std::multimap<qint64, QNetworkReply*> m_deadlines;
    QTimer* m_deadlineTimer = nullptr;
    qint64 m_armedNs = -1;
};

} // namespace aimload
