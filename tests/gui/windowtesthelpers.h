#pragma once

#include "appsettings.h"
#include "config/options.h"
#include "launchoptions.h"

#include <QAction>
#include <QProcessEnvironment>
#include <QTcpServer>
#include <QTest>

// The launch a test asks for, as if typed on the command line; no environment. Without a
// --db of its own the run stays in memory, so no test writes or reads a journal elsewhere.
inline aimload::LaunchOptions launchWith(const QStringList& arguments)
{
    using namespace Qt::StringLiterals;
    QStringList full = QStringList {u"aimload"_s} + arguments;
    if (!arguments.contains(u"--db"_s))
        full.append(u"--no-db"_s);
    const auto parsed = aimload::OptionsParser::parse(full, QProcessEnvironment());
    if (parsed.action != aimload::OptionsParser::Action::Run)
        qFatal("bad test arguments: %s", qPrintable(parsed.error));
    return aimload::LaunchOptions::fromCommandLine(full, QProcessEnvironment(), parsed.options);
}

inline QAction* findAction(QObject& window, const QString& name)
{
    auto* action = window.findChild<QAction*>(name);
    if (!action)
        qFatal("no action %s", qPrintable(name));
    return action;
}

// A loopback port that nothing listens on: connections to it are refused at once.
inline quint16 closedPort()
{
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, 0))
        qFatal("cannot listen on loopback");
    const quint16 port = server.serverPort();
    server.close();
    return port;
}
