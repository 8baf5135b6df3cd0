#include "config/options.h"
#include "headless/headlessrunner.h"

#include <QCoreApplication>
#include <QProcessEnvironment>

#include <cstdio>

using namespace Qt::StringLiterals;

namespace {

QStringList rawArguments(int argc, char** argv)
{
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));
    return arguments;
}

void printError(const QString& text)
{
    std::fprintf(stderr, "aimload: %s\n", qPrintable(text));
}

} // namespace

int main(int argc, char** argv)
{
    // Options are read before any application object exists, so the headless path
    // never loads a platform plugin or needs a display.
    const auto parsed = aimload::OptionsParser::parse(
        rawArguments(argc, argv), QProcessEnvironment::systemEnvironment());
    switch (parsed.action) {
    case aimload::OptionsParser::Action::Help:
        std::fputs(qPrintable(aimload::OptionsParser::helpText()), stdout);
        return 0;
    case aimload::OptionsParser::Action::Version:
        std::printf("aimload %s\n", AIMLOAD_VERSION);
        return 0;
    case aimload::OptionsParser::Action::Error:
        printError(parsed.error);
        return 2;
    case aimload::OptionsParser::Action::Run:
        break;
    }

    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"aimload"_s);
    QCoreApplication::setApplicationVersion(QString::fromLatin1(AIMLOAD_VERSION));

    aimload::HeadlessRunner runner(parsed.options);
    QString error;
    if (!runner.prepare(&error)) {
        printError(error);
        return 2;
    }
    QObject::connect(&runner, &aimload::HeadlessRunner::done, &app, &QCoreApplication::exit,
        Qt::QueuedConnection);
    runner.start();
    return app.exec();
}
