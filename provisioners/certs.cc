#include "provisioners/certs.h"

#include <sys/stat.h>

#include "base/file_util.h"
#include "base/subprocess.h"

namespace berth::provisioners {
namespace {

constexpr const char* kDays = "3650";

Status Openssl(const std::vector<std::string>& args, const std::string& what) {
  std::vector<std::string> argv = {"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = RunChecked(argv);
  if (!r.ok())
    return r.status().WithContext(what + " (needs the openssl tool: apt-get install openssl)");
  return Status::Ok();
}

// An EC P-256 key and a CSR (or self-signed cert with `self_signed`).
Status NewKeyAndRequest(const std::string& key, const std::string& out, const std::string& subject,
                        bool self_signed, const std::string& ext_file, const std::string& what) {
  std::vector<std::string> args = {
      "req",    "-new",    "-newkey", "ec",   "-pkeyopt", "ec_paramgen_curve:prime256v1",
      "-nodes", "-keyout", key,       "-out", out,        "-subj",
      subject};
  if (self_signed) {
    args.insert(args.end(), {"-x509", "-days", kDays, "-extensions", "v3_ca", "-config", ext_file});
  }
  BERTH_RETURN_IF_ERROR(Openssl(args, what));
  chmod(key.c_str(), 0600);
  return Status::Ok();
}

Status Sign(const std::string& dir, const std::string& csr, const std::string& out,
            const std::string& ext_file, const std::string& what) {
  return Openssl({"x509", "-req", "-in", csr, "-CA", dir + "/ca.pem", "-CAkey", dir + "/ca-key.pem",
                  "-CAcreateserial", "-CAserial", dir + "/ca.srl", "-days", kDays, "-extfile",
                  ext_file, "-out", out},
                 what);
}

}  // namespace

Result<ClientCerts> EnsureClientCerts(const machine::Store& store) {
  ClientCerts c;
  c.dir = store.home() + "/certs";
  c.ca = c.dir + "/ca.pem";
  c.cert = c.dir + "/cert.pem";
  c.key = c.dir + "/key.pem";
  if (PathExists(c.ca) && PathExists(c.cert) && PathExists(c.key)) return c;
  BERTH_ASSIGN_OR_RETURN(auto lock, store.Lock());
  if (PathExists(c.ca) && PathExists(c.cert) && PathExists(c.key)) return c;
  BERTH_RETURN_IF_ERROR(MakeDirs(c.dir, 0700));
  std::string ca_cfg = c.dir + "/.ca.cnf";
  BERTH_RETURN_IF_ERROR(WriteFileAtomic(ca_cfg,
                                        "[req]\ndistinguished_name=dn\n[dn]\n[v3_ca]\n"
                                        "basicConstraints=critical,CA:TRUE\n"
                                        "keyUsage=critical,keyCertSign,cRLSign\n"
                                        "subjectKeyIdentifier=hash\n"));
  BERTH_RETURN_IF_ERROR(NewKeyAndRequest(c.dir + "/ca-key.pem", c.ca, "/O=berth/CN=berth CA", true,
                                         ca_cfg, "create the berth CA"));
  std::string ext = c.dir + "/.client.ext";
  BERTH_RETURN_IF_ERROR(WriteFileAtomic(
      ext, "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n"));
  BERTH_RETURN_IF_ERROR(NewKeyAndRequest(c.key, c.dir + "/client.csr", "/O=berth/CN=berth client",
                                         false, "", "create the client key"));
  BERTH_RETURN_IF_ERROR(Sign(c.dir, c.dir + "/client.csr", c.cert, ext, "sign the client cert"));
  RemoveAll(c.dir + "/client.csr").ok();
  return c;
}

Status MakeServerCert(const machine::Store& store, const machine::MachineConfig& m) {
  std::string ctx = "make the TLS server certificate of machine '" + m.name + "'";
  BERTH_ASSIGN_OR_RETURN(ClientCerts certs, EnsureClientCerts(store));
  std::string dir = store.MachineDir(m.name);
  std::string san = "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:" + m.name;
  if (!m.host.empty() && m.host != "127.0.0.1") san += ",IP:" + m.host;
  if (!m.lab.address.empty()) san += ",IP:" + m.lab.address;
  std::string ext = dir + "/.server.ext";
  BERTH_RETURN_IF_ERROR(
      WriteFileAtomic(
          ext,
          san +
              "\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n")
          .WithContext(ctx));
  BERTH_RETURN_IF_ERROR(NewKeyAndRequest(dir + "/server-key.pem", dir + "/server.csr",
                                         "/O=berth/CN=" + m.name, false, "", ctx));
  // The CA serial file is shared: sign under the store lock.
  BERTH_ASSIGN_OR_RETURN(auto lock, store.Lock());
  Status s = Sign(certs.dir, dir + "/server.csr", dir + "/server.pem", ext, ctx);
  RemoveAll(dir + "/server.csr").ok();
  RemoveAll(ext).ok();
  return s;
}

}  // namespace berth::provisioners
