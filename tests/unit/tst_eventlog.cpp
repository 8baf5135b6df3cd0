#include "engine/loadengine.h"
#include "headless/eventlog.h"

#include <QTest>

using namespace Qt::StringLiterals;
using aimload::CycleInfo;
using aimload::Endpoint;
using aimload::EventLog;
using aimload::Model;
using aimload::Outcome;
using aimload::Prompt;
using aimload::RequestRecord;

namespace {

RequestRecord chat(Model model, Outcome outcome, double latencyMs, const QString& error = {})
{
    RequestRecord record;
    record.group = u"simple_chat"_s;
    record.model = model;
    record.endpoint = Endpoint::Chat;
    record.outcome = outcome;
    record.latencyMs = latencyMs;
    record.error = error;
    return record;
}

RequestRecord repair(
    Model model, Outcome outcome, double latencyMs, int toolCalls, const QString& error = {})
{
    RequestRecord record = chat(model, outcome, latencyMs, error);
    record.group = u"tool_repair"_s;
    record.endpoint = Endpoint::Repair;
    record.workflow = u"forced_full_repair"_s;
    record.toolCallCount = toolCalls;
    return record;
}

Prompt prompt(Endpoint endpoint)
{
    Prompt prompt;
    prompt.id = u"p1"_s;
    prompt.group = endpoint == Endpoint::Chat ? u"simple_chat"_s : u"tool_repair"_s;
    prompt.description = endpoint == Endpoint::Chat ? u"Asks for a status summary"_s
                                                    : u"Restarts the API gateway"_s;
    prompt.text = u"How are the services?"_s;
    prompt.endpoint = endpoint;
    if (endpoint == Endpoint::Repair)
        prompt.workflow = u"forced_full_repair"_s;
    return prompt;
}

CycleInfo cycle(quint64 number, int user, bool triggered, Endpoint endpoint)
{
    CycleInfo cycle;
    cycle.cycle = number;
    cycle.user = user;
    cycle.triggered = triggered;
    cycle.slot = triggered ? -1 : qint64(number - 1);
    cycle.prompt = prompt(endpoint);
    return cycle;
}

} // namespace

class TestEventLog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void requestLine_data();
    void requestLine();
    void cycleLine_data();
    void cycleLine();
    void levelNames();
};

void TestEventLog::requestLine_data()
{
    QTest::addColumn<RequestRecord>("record");
    QTest::addColumn<QString>("line");

    const auto row = [](const char* tag, const RequestRecord& record, const QString& line) {
        QTest::newRow(tag) << record << line;
    };
    const QString cancelled = u"cancelled before the agent answered"_s;

    row("okChat", chat(Model::A, Outcome::Ok, 8200.0), u"✓ Model A: simple_chat (chat, 8.2s)"_s);
    row("okChatModelB", chat(Model::B, Outcome::Ok, 61'049.0),
        u"✓ Model B: simple_chat (chat, 61.0s)"_s);
    row("okChatInstant", chat(Model::A, Outcome::Ok, 12.0),
        u"✓ Model A: simple_chat (chat, 0.0s)"_s);
    row("okRepairThreeTools", repair(Model::A, Outcome::Ok, 142'500.0, 3),
        u"✓ Model A: tool_repair (repair/forced_full_repair, 142.5s, 3 tool calls)"_s);
    row("okRepairOneTool", repair(Model::B, Outcome::Ok, 30'000.0, 1),
        u"✓ Model B: tool_repair (repair/forced_full_repair, 30.0s, 1 tool call)"_s);
    row("okRepairNoTools", repair(Model::B, Outcome::Ok, 30'000.0, 0),
        u"✓ Model B: tool_repair (repair/forced_full_repair, 30.0s, 0 tool calls)"_s);
    row("timeout", chat(Model::B, Outcome::Timeout, 660'000.0, u"no answer within 11m"_s),
        u"✗ Model B: simple_chat failed: no answer within 11m [timeout] (chat, 660.0s)"_s);
    row("httpError", chat(Model::A, Outcome::HttpError, 1500.0, u"HTTP 500: Chat failed"_s),
        u"✗ Model A: simple_chat failed: HTTP 500: Chat failed [http_error] (chat, 1.5s)"_s);
    row("agentFailure",
        repair(Model::B, Outcome::AgentFailure, 90'000.0, 3, u"agent said success: false"_s),
        u"✗ Model B: tool_repair failed: agent said success: false [agent_failure] "
        "(repair/forced_full_repair, 90.0s)"_s);
    row("connectionError", chat(Model::A, Outcome::ConnectionError, 3.0, u"refused"_s),
        u"✗ Model A: simple_chat failed: refused [connection_error] (chat, 0.0s)"_s);
    row("invalidResponse", chat(Model::A, Outcome::InvalidResponse, 2000.0, u"not JSON"_s),
        u"✗ Model A: simple_chat failed: not JSON [invalid_response] (chat, 2.0s)"_s);
    row("cancelled", chat(Model::B, Outcome::Cancelled, 4000.0, cancelled),
        u"✗ Model B: simple_chat cancelled: cancelled before the agent answered (chat, 4.0s)"_s);
    row("cancelledRepair", repair(Model::A, Outcome::Cancelled, 4000.0, 0, cancelled),
        u"✗ Model A: tool_repair cancelled: cancelled before the agent answered "
        "(repair/forced_full_repair, 4.0s)"_s);
}

void TestEventLog::requestLine()
{
    QFETCH(RequestRecord, record);
    QFETCH(QString, line);

    QCOMPARE(EventLog::requestLine(record), line);
}

void TestEventLog::cycleLine_data()
{
    QTest::addColumn<CycleInfo>("info");
    QTest::addColumn<QString>("line");

    QTest::newRow("chat") << cycle(1, 0, false, Endpoint::Chat)
                          << u"Cycle 1: Sending prompt: simple_chat - Asks for a status summary "
                             "(endpoint=/chat)"_s;
    QTest::newRow("repair") << cycle(12, 0, false, Endpoint::Repair)
                            << u"Cycle 12: Sending prompt: tool_repair - Restarts the API gateway "
                               "(endpoint=/repair, workflow=forced_full_repair)"_s;
    QTest::newRow("secondUser") << cycle(4, 1, false, Endpoint::Chat)
                                << u"Cycle 4 (user 2): Sending prompt: simple_chat - Asks for a "
                                   "status summary (endpoint=/chat)"_s;
    QTest::newRow("triggered") << cycle(5, 0, true, Endpoint::Chat)
                               << u"Cycle 5 (triggered): Sending prompt: simple_chat - Asks for a "
                                  "status summary (endpoint=/chat)"_s;
    QTest::newRow("triggeredThirdUser")
        << cycle(9, 2, true, Endpoint::Repair)
        << u"Cycle 9 (user 3) (triggered): Sending prompt: tool_repair - Restarts the API gateway "
           "(endpoint=/repair, workflow=forced_full_repair)"_s;
}

void TestEventLog::cycleLine()
{
    QFETCH(CycleInfo, info);
    QFETCH(QString, line);

    QCOMPARE(EventLog::cycleLine(info), line);
}

void TestEventLog::levelNames()
{
    QCOMPARE(EventLog::levelName(EventLog::Level::Debug), u"debug"_s);
    QCOMPARE(EventLog::levelName(EventLog::Level::Info), u"info"_s);
    QCOMPARE(EventLog::levelName(EventLog::Level::Warning), u"warning"_s);
    QCOMPARE(EventLog::levelName(EventLog::Level::Error), u"error"_s);
}

QTEST_GUILESS_MAIN(TestEventLog)
#include "tst_eventlog.moc"
