#include "headless/signalwatcher.h"

#include <QLoggingCategory>
#include <QSocketNotifier>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcSignals, "aimload.signals", QtWarningMsg)

namespace aimload {

namespace {

int s_sockets[2] = {-1, -1};
volatile sig_atomic_t s_received = 0;

void onSignal(int number)
{
    if (s_received) {
        // The first request is still being served: the user insists, so leave now.
        _exit(128 + number);
    }
    s_received = 1;
    const char byte = char(number);
    [[maybe_unused]] const ssize_t written = ::write(s_sockets[0], &byte, 1);
}

} // namespace

SignalWatcher::SignalWatcher(QObject* parent)
    : QObject(parent)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, s_sockets) != 0) {
        qCWarning(lcSignals) << "cannot create the signal socket pair; signals end the process";
        return;
    }
    m_notifier = new QSocketNotifier(s_sockets[1], QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &SignalWatcher::onReadable);

    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGTERM, &action, nullptr);
    ::sigaction(SIGINT, &action, nullptr);
}

SignalWatcher::~SignalWatcher()
{
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    if (s_sockets[0] >= 0) {
        ::close(s_sockets[0]);
        ::close(s_sockets[1]);
        s_sockets[0] = s_sockets[1] = -1;
    }
}

void SignalWatcher::onReadable()
{
    char number = 0;
    if (::read(s_sockets[1], &number, 1) != 1)
        return;
    Q_EMIT terminationRequested(number == SIGINT ? u"SIGINT"_s : u"SIGTERM"_s);
}

} // namespace aimload
