#include "machine/domain_xml.h"

#include <sstream>

#include "base/strings.h"

namespace berth::machine {

std::string BuildDomainXml(const MachineConfig& c, const DomainOptions& o) {
  auto e = XmlEscape;
  std::ostringstream x;
  x << "<domain type='" << (o.kvm ? "kvm" : "qemu")
    << "' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
    << "  <name>" << e(c.domain) << "</name>\n";
  if (!c.uuid.empty()) x << "  <uuid>" << e(c.uuid) << "</uuid>\n";
  x << "  <title>berth machine " << e(c.name) << "</title>\n"
    << "  <description>Managed by berth (state in " << e(o.home) << "/machines/" << e(c.name)
    << "); change it with `berth machine`, not virsh.</description>\n"
    << "  <metadata>\n"
    << "    <berth:machine xmlns:berth='https://berth.dev/xmlns/machine/1' name='" << e(c.name)
    << "' home='" << e(o.home) << "'/>\n"
    << "  </metadata>\n"
    << "  <memory unit='MiB'>" << c.memory_mb << "</memory>\n"
    << "  <vcpu>" << c.cpus << "</vcpu>\n"
    << "  <os>\n"
    << "    <type arch='x86_64' machine='q35'>hvm</type>\n"
    << "    <kernel>" << e(c.kernel) << "</kernel>\n"
    << "    <initrd>" << e(c.initrd) << "</initrd>\n"
    << "    <cmdline>" << e(c.cmdline) << "</cmdline>\n"
    << "  </os>\n"
    << "  <features><acpi/></features>\n";
  if (o.kvm) x << "  <cpu mode='host-passthrough'/>\n";
  x << "  <clock offset='utc'/>\n"
    << "  <on_poweroff>destroy</on_poweroff>\n"
    << "  <on_reboot>restart</on_reboot>\n"
    << "  <on_crash>destroy</on_crash>\n"
    << "  <devices>\n"
    << "    <disk type='file' device='disk'>\n"
    << "      <driver name='qemu' type='raw' cache='writeback'/>\n"
    << "      <source file='" << e(o.data_disk) << "'/>\n"
    << "      <target dev='vda' bus='virtio'/>\n"
    << "    </disk>\n";
  if (c.lab.fabric_port > 0) {
    x << "    <interface type='udp'>\n"
      << "      <mac address='" << e(c.lab.mac) << "'/>\n"
      << "      <source address='" << e(c.lab.host) << "' port='" << c.lab.fabric_port << "'>\n"
      << "        <local address='" << e(c.lab.host) << "' port='" << c.lab.local_port << "'/>\n"
      << "      </source>\n"
      << "      <model type='virtio'/>\n"
      << "      <rom enabled='no'/>\n"
      << "    </interface>\n";
  }
  x << "    <serial type='file'>\n"
    << "      <source path='" << e(o.serial_log) << "' append='on'/>\n"
    << "      <target port='0'/>\n"
    << "    </serial>\n"
    << "    <console type='file'>\n"
    << "      <source path='" << e(o.serial_log) << "' append='on'/>\n"
    << "      <target type='serial' port='0'/>\n"
    << "    </console>\n"
    // Without an entropy source the guest's first SSH handshake waits ~2 s.
    << "    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>\n"
    << "    <memballoon model='none'/>\n"
    << "  </devices>\n";
  if (!o.dac_label.empty())
    x << "  <seclabel type='static' model='dac' relabel='no'>\n"
      << "    <label>" << e(o.dac_label) << "</label>\n"
      << "  </seclabel>\n";
  // libvirt 9.0 has no <portForward>: the management NIC goes through the
  // QEMU passthrough namespace, at a fixed PCI address clear of libvirt's.
  std::ostringstream netdev;
  netdev << "user,id=mgmt,restrict=on,net=10.0.2.0/24,hostfwd=tcp:" << c.host << ":" << c.ssh_port
         << "-:22,hostfwd=tcp:" << c.host << ":" << c.engine_port << "-:2376";
  for (const auto& f : c.forwards)
    netdev << ",hostfwd=tcp:" << c.host << ":" << f.host_port << "-:" << f.guest_port;
  // The lab registry: for each guest connection QEMU runs socat to the host
  // port (slirp splits the command on spaces; there is no shell). Spawning
  // needs QEMU's sandbox to allow fork/exec and setsid: see the sandbox below.
  if (c.registry_port != 0)
    netdev << ",guestfwd=tcp:" << kRegistryGuestAddress << ":" << kRegistryGuestPort
           << "-cmd:" << o.socat << " STDIO TCP:" << c.host << ":" << c.registry_port;
  x << "  <qemu:commandline>\n"
    << "    <qemu:arg value='-netdev'/>\n"
    << "    <qemu:arg value='" << e(netdev.str()) << "'/>\n"
    << "    <qemu:arg value='-device'/>\n"
    << "    <qemu:arg value='virtio-net-pci,netdev=mgmt,mac=" << e(c.mgmt_mac)
    << ",bus=pcie.0,addr=0x10,romfile='/>\n";
  // libvirt's own -sandbox (spawn=deny, elevateprivileges=deny) would kill
  // QEMU at the first registry connection, and a second -sandbox does not
  // override it; so libvirt is told QEMU has no sandbox and berth passes one
  // that keeps the obsolete-syscall and resource-control filters.
  if (c.registry_port != 0)
    x << "    <qemu:arg value='-sandbox'/>\n"
      << "    <qemu:arg value='on,obsolete=deny,elevateprivileges=allow,spawn=allow,"
         "resourcecontrol=deny'/>\n";
  x << "  </qemu:commandline>\n";
  if (c.registry_port != 0)
    x << "  <qemu:capabilities>\n"
      << "    <qemu:del capability='seccomp-sandbox'/>\n"
      << "  </qemu:capabilities>\n";
  x << "</domain>\n";
  return x.str();
}

}  // namespace berth::machine
