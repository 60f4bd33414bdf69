#include "machine/domain_xml.h"

#include <gtest/gtest.h>

namespace berth::machine {
namespace {

MachineConfig Sample() {
  MachineConfig c;
  c.name = "node1";
  c.domain = "berth-node1";
  c.uuid = "0b1c2d3e-0000-4000-8000-000000000001";
  c.cpus = 2;
  c.memory_mb = 512;
  c.ssh_port = 41000;
  c.engine_port = 41001;
  c.mgmt_mac = "52:54:00:b3:00:0b";
  c.lab.mac = "52:54:00:77:00:0b";
  c.lab.local_port = 41002;
  c.lab.fabric_port = 40000;
  c.kernel = "/home/u/.berth/cache/guest-x/vmlinuz";
  c.initrd = "/home/u/.berth/cache/guest-x/initrd.img";
  c.cmdline = "console=ttyS0 quiet";
  return c;
}

bool Has(const std::string& xml, const std::string& s) { return xml.find(s) != std::string::npos; }

TEST(DomainXmlTest, FollowsTheNetworkRule) {
  DomainOptions o;
  o.serial_log = "/h/serial.log";
  o.data_disk = "/h/disk.raw";
  std::string x = BuildDomainXml(Sample(), o);
  EXPECT_TRUE(Has(x, "restrict=on"));
  EXPECT_TRUE(Has(x, "hostfwd=tcp:127.0.0.1:41000-:22"));
  EXPECT_TRUE(Has(x, "hostfwd=tcp:127.0.0.1:41001-:2376"));
  EXPECT_TRUE(Has(x, "mac=52:54:00:b3:00:0b,bus=pcie.0,addr=0x10,romfile="));
  EXPECT_TRUE(Has(x, "<interface type='udp'>"));
  EXPECT_TRUE(Has(x, "<source address='127.0.0.1' port='40000'>"));
  EXPECT_TRUE(Has(x, "<local address='127.0.0.1' port='41002'/>"));
  // Never a libvirt network, a bridge or a tap.
  EXPECT_FALSE(Has(x, "type='network'"));
  EXPECT_FALSE(Has(x, "type='bridge'"));
  EXPECT_FALSE(Has(x, "type='ethernet'"));
}

TEST(DomainXmlTest, ExtraForwardsListenOnTheHostAddressOnly) {
  MachineConfig c = Sample();
  c.forwards = {{8080, 41003}, {2379, 41004}};
  std::string x = BuildDomainXml(c, {});
  EXPECT_TRUE(
      Has(x, "-:2376,hostfwd=tcp:127.0.0.1:41003-:8080,hostfwd=tcp:127.0.0.1:41004-:2379'"));
}

TEST(DomainXmlTest, RegistryGuestfwdRunsSocatUnderBerthsSandbox) {
  MachineConfig c = Sample();
  EXPECT_FALSE(Has(BuildDomainXml(c, {}), "guestfwd"));
  EXPECT_FALSE(Has(BuildDomainXml(c, {}), "-sandbox"));
  c.registry_port = 49000;
  DomainOptions o;
  o.socat = "/usr/bin/socat";
  std::string x = BuildDomainXml(c, o);
  EXPECT_TRUE(
      Has(x, ",guestfwd=tcp:10.0.2.100:5000-cmd:/usr/bin/socat STDIO TCP:127.0.0.1:49000'"));
  // libvirt's own sandbox is off (it denies spawning); berth's keeps the rest.
  EXPECT_TRUE(Has(x, "<qemu:del capability='seccomp-sandbox'/>"));
  EXPECT_TRUE(Has(x, "obsolete=deny,elevateprivileges=allow,spawn=allow,resourcecontrol=deny"));
  EXPECT_TRUE(Has(x, "restrict=on"));
}

TEST(DomainXmlTest, TcgWithoutKvmAndKvmWith) {
  DomainOptions o;
  EXPECT_TRUE(Has(BuildDomainXml(Sample(), o), "<domain type='qemu'"));
  o.kvm = true;
  std::string x = BuildDomainXml(Sample(), o);
  EXPECT_TRUE(Has(x, "<domain type='kvm'"));
  EXPECT_TRUE(Has(x, "host-passthrough"));
}

TEST(DomainXmlTest, IdentityResourcesAndMetadata) {
  DomainOptions o;
  o.home = "/home/u/.berth";
  o.dac_label = "+0:+0";
  std::string x = BuildDomainXml(Sample(), o);
  EXPECT_TRUE(Has(x, "<name>berth-node1</name>"));
  EXPECT_TRUE(Has(x, "<uuid>0b1c2d3e-0000-4000-8000-000000000001</uuid>"));
  EXPECT_TRUE(Has(x, "<memory unit='MiB'>512</memory>"));
  EXPECT_TRUE(Has(x, "<vcpu>2</vcpu>"));
  EXPECT_TRUE(Has(x, "berth:machine xmlns:berth='https://berth.dev/xmlns/machine/1' name='node1'"));
  EXPECT_TRUE(Has(x, "<label>+0:+0</label>"));
  EXPECT_TRUE(Has(x, "<cmdline>console=ttyS0 quiet</cmdline>"));
}

TEST(DomainXmlTest, UnattachedLabNicIsLeftOut) {
  MachineConfig c = Sample();
  c.lab.fabric_port = 0;
  EXPECT_FALSE(Has(BuildDomainXml(c, {}), "type='udp'"));
}

TEST(DomainXmlTest, EscapesPaths) {
  MachineConfig c = Sample();
  c.kernel = "/a&b/<k>'";
  std::string x = BuildDomainXml(c, {});
  EXPECT_TRUE(Has(x, "<kernel>/a&amp;b/&lt;k&gt;&apos;</kernel>"));
}

}  // namespace
}  // namespace berth::machine
