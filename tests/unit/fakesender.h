#pragma once

#include "agent/requestsender.h"

#include <QList>
#include <QString>

#include <algorithm>
#include <optional>

namespace aimload::test {

// A RequestSender whose answers the test decides. It keeps every request it was given,
// finishes an open one when told to (or at once, inside send()), answers health probes
// from a script, and reports cancelled requests before cancel() and cancelAll() return,
// as the interface promises.
class FakeSender : public RequestSender
{
    Q_OBJECT

public:
    using RequestSender::RequestSender;

    // With an outcome, every request is finished with it before send() returns.
    void setAnswerInSend(std::optional<Outcome> outcome) { m_answerInSend = outcome; }
    // Answers to the next probes, in order (true: healthy); healthy once the script is used up.
    void setHealthScript(const QList<bool>& answers) { m_healthScript = answers; }
    void setUnhealthyError(const QString& error) { m_unhealthyError = error; }
    // Held probes wait for answerHeldProbe() instead of being answered inside probeHealth().
    void setHoldProbes(bool hold) { m_holdProbes = hold; }

    void send(RequestRecord record) override
    {
        m_sent.append(record);
        m_open.append(record);
        Q_EMIT requestSent(record);
        if (m_answerInSend)
            finish(record.id, *m_answerInSend);
    }

    void cancel(quint64 id) override { finish(id, Outcome::Cancelled); }

    void cancelAll() override
    {
        const QList<RequestRecord> open = m_open;
        for (const RequestRecord& record : open)
            finish(record.id, Outcome::Cancelled);
    }

    int inFlight() const override { return int(m_open.size()); }

    void probeHealth() override
    {
        ++m_probes;
        if (m_holdProbes) {
            ++m_heldProbes;
            return;
        }
        const bool healthy = m_healthScript.isEmpty() || m_healthScript.takeFirst();
        answer(healthy);
    }

    // Answers one held probe; false when none is held.
    bool answerHeldProbe(bool healthy)
    {
        if (m_heldProbes == 0)
            return false;
        --m_heldProbes;
        answer(healthy);
        return true;
    }

    // Finishes an open request; false when no open request has this id.
    bool finish(quint64 id, Outcome outcome = Outcome::Ok, double latencyMs = 0.0)
    {
        const auto it = std::find_if(m_open.begin(), m_open.end(),
            [id](const RequestRecord& record) { return record.id == id; });
        if (it == m_open.end())
            return false;

        RequestRecord record = *it;
        m_open.erase(it);
        record.outcome = outcome;
        record.latencyMs = latencyMs;
        record.httpStatus = outcome == Outcome::Ok ? 200 : outcome == Outcome::HttpError ? 500 : 0;
        if (isFailure(outcome))
            record.error = outcomeName(outcome);

        m_finished.append(record);
        Q_EMIT requestFinished(record);
        return true;
    }

    // The open request to this model, if there is exactly one.
    std::optional<RequestRecord> openTo(Model model) const
    {
        std::optional<RequestRecord> found;
        for (const RequestRecord& record : m_open) {
            if (record.model != model)
                continue;
            if (found)
                return std::nullopt;
            found = record;
        }
        return found;
    }

    const QList<RequestRecord>& sent() const { return m_sent; }
    const QList<RequestRecord>& open() const { return m_open; }
    const QList<RequestRecord>& finished() const { return m_finished; }
    int probes() const { return m_probes; }
    int heldProbes() const { return m_heldProbes; }

private:
    void answer(bool healthy)
    {
        Q_EMIT healthChecked(healthy, healthy ? QString() : m_unhealthyError);
    }

    std::optional<Outcome> m_answerInSend;
    QList<bool> m_healthScript;
    QString m_unhealthyError = QStringLiteral("HTTP 503 from /health");
    bool m_holdProbes = false;
    int m_probes = 0;
    int m_heldProbes = 0;
    QList<RequestRecord> m_sent;
    QList<RequestRecord> m_open;
    QList<RequestRecord> m_finished;
};

} // namespace aimload::test
