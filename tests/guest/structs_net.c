/*
 * Sockets: sockaddr (AF_UNIX, AF_INET), struct msghdr with iovecs and control
 * messages (SCM_RIGHTS), socket options (int, struct timeval, struct linger),
 * over loopback TCP, UDP and a socketpair.  On i386 glibc reaches these through
 * the socketcall multiplexer.  Prints only what is the same under qemu-user and
 * natively.  Usage: structs_net WORKDIR
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_unix(const char *dir)
{
    int sv[2];
    int r = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
    printf("socketpair r=%d cloexec=%d\n", r, (fcntl(sv[0], F_GETFD) & FD_CLOEXEC) != 0);

    /* sendmsg: two iovecs and an fd (a pipe's read end) in SCM_RIGHTS */
    int p[2];
    pipe(p);
    write(p[1], "through the passed fd", 21);
    char data1[] = "hello ", data2[] = "msghdr";
    struct iovec iov[2] = {{data1, 6}, {data2, 6}};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2, .msg_control = ctl.buf,
                         .msg_controllen = sizeof ctl.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &p[0], sizeof(int));
    ssize_t n = sendmsg(sv[0], &msg, 0);
    close(p[0]);

    char in1[4], in2[32];
    memset(in2, 0, sizeof in2);
    struct iovec iin[2] = {{in1, 4}, {in2, sizeof in2 - 1}};
    union {
        char buf[CMSG_SPACE(sizeof(int)) + 16];
        struct cmsghdr align;
    } rctl;
    struct msghdr rmsg = {.msg_iov = iin, .msg_iovlen = 2, .msg_control = rctl.buf,
                          .msg_controllen = sizeof rctl.buf};
    ssize_t m = recvmsg(sv[1], &rmsg, 0);
    struct cmsghdr *rc = CMSG_FIRSTHDR(&rmsg);
    printf("sendmsg=%zd recvmsg=%zd [%.4s][%s] flags=%#x controllen=%d\n", n, m, in1, in2,
           rmsg.msg_flags, (int)rmsg.msg_controllen);
    if (rc) {
        int fd;
        memcpy(&fd, CMSG_DATA(rc), sizeof fd);
        char buf[64] = {0};
        read(fd, buf, sizeof buf - 1);
        printf("cmsg level=%d type=%d len=%d fd works: [%s]\n", rc->cmsg_level, rc->cmsg_type,
               (int)rc->cmsg_len, buf);
        close(fd);
    }
    /* too little control space: MSG_CTRUNC */
    pipe(p);
    memcpy(CMSG_DATA(c), &p[0], sizeof(int));
    sendmsg(sv[0], &msg, 0);
    char small[4];
    rmsg.msg_control = small;
    rmsg.msg_controllen = sizeof small;
    rmsg.msg_iov = iin;
    rmsg.msg_iovlen = 2;
    m = recvmsg(sv[1], &rmsg, 0);
    printf("recvmsg small control=%zd ctrunc=%d\n", m, !!(rmsg.msg_flags & MSG_CTRUNC));
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);

    /* a named AF_UNIX datagram socket */
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%.80s/sock.%d", dir, (int)sizeof(long));
    unlink(sa.sun_path);
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    r = bind(s, (struct sockaddr *)&sa, sizeof sa);
    struct sockaddr_un got;
    socklen_t len = sizeof got;
    getsockname(s, (struct sockaddr *)&got, &len);
    struct stat st;
    stat(sa.sun_path, &st);
    printf("unix bind=%d family=%d same path=%d len ok=%d is socket=%d\n", r, got.sun_family,
           strcmp(got.sun_path, sa.sun_path) == 0, len == offsetof(struct sockaddr_un, sun_path) + strlen(sa.sun_path) + 1,
           S_ISSOCK(st.st_mode));
    int cl = socket(AF_UNIX, SOCK_DGRAM, 0);
    n = sendto(cl, "dgram", 5, 0, (struct sockaddr *)&sa, sizeof sa);
    char buf[16] = {0};
    struct sockaddr_un from;
    memset(&from, 0, sizeof from);
    socklen_t flen = sizeof from;
    m = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    printf("unix sendto=%zd recvfrom=%zd [%s] from len=%d\n", n, m, buf, (int)flen);
    close(cl);
    close(s);
    unlink(sa.sun_path);
}

static void test_inet(void)
{
    int srv = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    int r = setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    r |= bind(srv, (struct sockaddr *)&a, sizeof a);
    r |= listen(srv, 4);
    socklen_t len = sizeof a;
    getsockname(srv, (struct sockaddr *)&a, &len);
    printf("tcp listen r=%d family=%d addr=%s port set=%d len=%d\n", r, a.sin_family,
           inet_ntoa(a.sin_addr), a.sin_port != 0, (int)len);
    int cl = socket(AF_INET, SOCK_STREAM, 0);
    r = connect(cl, (struct sockaddr *)&a, sizeof a);
    struct sockaddr_in peer;
    len = sizeof peer;
    int conn = accept4(srv, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
    printf("connect=%d accept ok=%d peer family=%d addr=%s cloexec=%d\n", r, conn >= 0,
           peer.sin_family, inet_ntoa(peer.sin_addr), (fcntl(conn, F_GETFD) & FD_CLOEXEC) != 0);
    struct sockaddr_in pn;
    len = sizeof pn;
    getpeername(cl, (struct sockaddr *)&pn, &len);
    printf("getpeername port same=%d\n", pn.sin_port == a.sin_port);
    send(cl, "ping", 4, 0);
    char buf[8] = {0};
    recv(conn, buf, sizeof buf - 1, 0);
    printf("recv [%s]\n", buf);

    struct timeval tv = {2, 500000}, tv2;
    r = setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    len = sizeof tv2;
    getsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv2, &len);
    printf("SO_RCVTIMEO set=%d get=%ld.%06ld len=%d\n", r, (long)tv2.tv_sec, (long)tv2.tv_usec,
           (int)len);
    struct linger lg = {1, 7}, lg2;
    setsockopt(conn, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    len = sizeof lg2;
    getsockopt(conn, SOL_SOCKET, SO_LINGER, &lg2, &len);
    printf("SO_LINGER %d %d\n", lg2.l_onoff, lg2.l_linger);
    setsockopt(cl, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int v = 0;
    len = sizeof v;
    getsockopt(cl, IPPROTO_TCP, TCP_NODELAY, &v, &len);
    int type = 0;
    socklen_t tl = sizeof type;
    getsockopt(cl, SOL_SOCKET, SO_TYPE, &type, &tl);
    printf("TCP_NODELAY=%d SO_TYPE=%d\n", v != 0, type);
    shutdown(cl, SHUT_WR);
    ssize_t m = recv(conn, buf, sizeof buf, 0);
    printf("recv after shutdown=%zd\n", m);
    errno = 0;
    r = setsockopt(cl, SOL_SOCKET, SO_RCVTIMEO, &tv, 3);
    printf("SO_RCVTIMEO short optlen=%d %s\n", r, r < 0 && errno == EINVAL ? "EINVAL" : strerror(errno));
    close(conn);
    close(cl);
    close(srv);

    int u = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in ua = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(u, (struct sockaddr *)&ua, sizeof ua);
    len = sizeof ua;
    getsockname(u, (struct sockaddr *)&ua, &len);
    errno = 0;
    m = recv(u, buf, sizeof buf, 0);
    printf("udp nonblocking recv=%zd %s\n", m, errno == EAGAIN ? "EAGAIN" : strerror(errno));
    sendto(u, "udp!", 4, 0, (struct sockaddr *)&ua, sizeof ua);
    memset(buf, 0, sizeof buf);
    struct sockaddr_in from;
    len = sizeof from;
    m = recvfrom(u, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
    printf("udp recvfrom=%zd [%s] from same port=%d\n", m, buf, from.sin_port == ua.sin_port);
    close(u);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    test_unix(argc > 1 ? argv[1] : "/tmp");
    test_inet();
    return 0;
}
