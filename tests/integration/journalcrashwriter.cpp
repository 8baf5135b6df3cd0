// The child of tst_journalcrash: records requests into a journal, says so after each one,
// then waits to be killed.

#include "journalcrashrecord.h"
#include "storage/journal.h"

#include <QCoreApplication>

#include <cstdio>

using namespace Qt::StringLiterals;

int main(int argc, char* argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList arguments = app.arguments();
    if (arguments.size() != 3) {
        std::fprintf(stderr, "usage: journalcrashwriter JOURNAL COUNT\n");
        return 2;
    }

    aimload::Journal journal;
    QString error;
    if (!journal.open(arguments.at(1), &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    aimload::RunInfo run;
    run.agentUrl = u"http://127.0.0.1:9"_s;
    const qint64 runId = journal.beginRun(run);
    const quint64 count = arguments.at(2).toULongLong();
    for (quint64 k = 1; k <= count && journal.isWriting(); ++k) {
        journal.record(runId, journalCrashRecord(k));
        // Printed only once record() has returned: whatever the test saw must be on disk.
        std::printf("recorded %llu\n", static_cast<unsigned long long>(k));
        std::fflush(stdout);
    }
    if (!journal.isWriting()) {
        std::fprintf(stderr, "%s\n", qPrintable(journal.errorString()));
        return 1;
    }
    return app.exec();
}
