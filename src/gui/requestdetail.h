#pragma once

#include "agent/requestrecord.h"

#include <QCoreApplication>
#include <QUrl>

namespace aimload {

// The detail pane's text for one request: the full prompt, the request as it went out and
// the agent's answer, as HTML for a QTextBrowser.
class RequestDetail
{
    Q_DECLARE_TR_FUNCTIONS(RequestDetail)

public:
    // Where record.body comes from: the table keeps only the newest answers in memory,
    // and the journal keeps the head of each.
    enum class Body
    {
        Kept, // the answer as received
        FromJournal, // its first Journal::BodyHeadBytes, read back from the journal
        Dropped, // neither has it
    };

    // agentUrl is the base URL the request was sent to.
    static QString html(const RequestRecord& record, const QUrl& agentUrl, Body body);

    static QUrl requestUrl(const RequestRecord& record, const QUrl& agentUrl);
    static QString requestBody(const RequestRecord& record); // indented JSON, empty for /repair

private:
    static QString promptSection(const RequestRecord& record);
    static QString requestSection(const RequestRecord& record, const QUrl& agentUrl);
    static QString answerSection(const RequestRecord& record, Body body);
};

} // namespace aimload
