#pragma once

#include "agent/requestrecord.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QUrl>

#include <chrono>
#include <memory>
#include <vector>

class QNetworkAccessManager;
class QNetworkReply;
class QTimer;

namespace aimload {

struct ClientSettings
{
    QUrl baseUrl;
    std::chrono::milliseconds chatTimeout { std::chrono::seconds(660) };
    std::chrono::milliseconds repairTimeout { std::chrono::seconds(660) };
    std::chrono::milliseconds healthTimeout { std::chrono::seconds(5) };
    qint64 maxResponseBytes = 8 * 1024 * 1024;
};

// Sends the requests the engine plans to the agent and classifies each answer.
// Every lane has its own QNetworkAccessManager, so a lane's connections are never
// shared with (or queued behind) another lane's.
class AgentClient : public QObject
{
    Q_OBJECT

public:
    static constexpr int RequestsPerLane = 6;

    explicit AgentClient(ClientSettings settings, QObject* parent = nullptr);
    ~AgentClient() override;

    const ClientSettings& settings() const { return m_settings; }

    // Sends the request that record describes (prompt, model, endpoint, workflow).
    // record.id must be unique among requests in flight.
    void send(RequestRecord record, int lane = 0);
    void cancel(quint64 id);
    void cancelAll();
    int inFlight() const { return int(m_pending.size()); }

    void probeHealth();

    static QByteArray chatBody(const QString& message, Model model);
    QUrl requestUrl(const RequestRecord& record) const;

Q_SIGNALS:
    void requestSent(const aimload::RequestRecord& record);
    void requestFinished(const aimload::RequestRecord& record);
    void healthChecked(bool healthy, const QString& error);

private:
    struct Pending;

    QNetworkAccessManager* manager(int lane);
    void markSent(QNetworkReply* reply);
    void onFinished(QNetworkReply* reply);
    void finish(QNetworkReply* reply, Outcome forced, const QString& reason);
    void onHealthFinished(QNetworkReply* reply, QTimer* deadline);

    ClientSettings m_settings;
    std::vector<QNetworkAccessManager*> m_managers;
    QHash<QNetworkReply*, std::shared_ptr<Pending>> m_pending;
    QHash<quint64, QNetworkReply*> m_byId;
    QElapsedTimer m_monotonic;
};

} // namespace aimload
