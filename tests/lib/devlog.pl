# A syslog socket for a daemon that logs only through syslog(3) (sourced by nothing: run with
# perl, which Debian always has).  Binds the datagram socket PATH, appends every message to FILE,
# one line each, and exits when its parent process is gone.  Used by tests/lib/cyrus.sh inside a
# private mount namespace whose /dev is a tmpfs, so the host's /dev/log is never touched.
#
#   perl devlog.pl PATH FILE
use strict;
use warnings;
use IO::Socket::UNIX;
use Socket qw(SOCK_DGRAM);

my ($path, $file) = @ARGV;
my $parent = getppid();
unlink $path;
my $sock = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $path) or die "devlog: $path: $!\n";
chmod 0666, $path;
open(my $out, '>>', $file) or die "devlog: $file: $!\n";
$out->autoflush(1);
my $rin = '';
vec($rin, fileno($sock), 1) = 1;
while (getppid() == $parent) {
	next unless select(my $rout = $rin, undef, undef, 0.5) > 0;
	my $msg;
	next unless defined $sock->recv($msg, 8192);
	$msg =~ s/[\r\n]+$//;
	$msg =~ s/\n/ /g;
	print $out "$msg\n";
}
