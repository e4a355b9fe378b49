// MiniHdfs runs a real Apache Hadoop HDFS for tests in one JVM: a NameNode on
// 127.0.0.1:<port> and three DataNodes (MiniDFSCluster), and answers fault
// commands on a control port so tests can stop and restart nodes.
//
//   java -cp '<lib>/*' MiniHdfs.java <dir> <namenode port> <http port>
//
// <dir>/data holds the cluster's storage; once the cluster has written and read
// back a file through all three DataNodes, the JVM writes its pid to <dir>/pid,
// "127.0.0.1:<control port>" to <dir>/control, then creates <dir>/ready.
//
// Control protocol: one command per line, one reply line per command, which
// starts with "ok" or "error".
//
//   status                 ok namenode=up datanodes=3/3
//   stop-datanode <i>      stop DataNode i (0..2), as if its process died
//   start-datanode <i>     restart DataNode i on its old ports, wait until it is live
//   stop-namenode          stop the NameNode (DataNodes keep running)
//   start-namenode         restart the NameNode on its old port, wait until active
//   lease <soft> <hard>    set the NameNode's lease limits in milliseconds
//   shutdown               stop everything and exit
//
// Kept to the standard library and Hadoop's public test API so the JDK's
// single-file launcher can run it with no build step.
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.hdfs.server.datanode.DataNode;

public class MiniHdfs {
    static final int DATANODES = 3;

    static MiniDFSCluster cluster;
    static String[] dnAddr = new String[DATANODES]; // slot -> transfer address, stable across restarts
    static MiniDFSCluster.DataNodeProperties[] stopped = new MiniDFSCluster.DataNodeProperties[DATANODES];
    static boolean namenodeUp;
    static long leaseSoft, leaseHard;

    public static void main(String[] args) throws Exception {
        File dir = new File(args[0]).getAbsoluteFile();
        int port = Integer.parseInt(args[1]);
        int httpPort = Integer.parseInt(args[2]);
        leaseSoft = Long.parseLong(args.length > 3 ? args[3] : "60000");
        leaseHard = Long.parseLong(args.length > 4 ? args[4] : "1200000");

        Configuration conf = new Configuration();
        conf.set("hdfs.minidfs.basedir", new File(dir, "data").getPath());
        // Two replicas on three DataNodes, as on a cluster with more DataNodes
        // than replicas: when one dies, the NameNode can place new blocks on the
        // other two as soon as it sees the dead one as stale. (With as many
        // replicas as DataNodes it falls back to the stale one until it declares
        // it dead.)
        conf.setInt("dfs.replication", 2);
        conf.setBoolean("dfs.permissions.enabled", false);
        // Small blocks so that multi-block files are cheap to make in tests.
        conf.setLong("dfs.blocksize", 1L << 20);
        conf.setLong("dfs.namenode.fs-limits.min-block-size", 0);
        // Notice a stopped DataNode within seconds, and stop writing to it.
        conf.setInt("dfs.heartbeat.interval", 1);
        conf.setInt("dfs.namenode.heartbeat.recheck-interval", 2000);
        conf.setLong("dfs.namenode.stale.datanode.interval", 3000);
        conf.setBoolean("dfs.namenode.avoid.write.stale.datanode", true);
        conf.setBoolean("dfs.namenode.avoid.read.stale.datanode", true);
        // A restarted NameNode leaves safe mode as soon as the blocks are reported.
        conf.setInt("dfs.namenode.safemode.extension", 0);
        // Clients outside this JVM (Go, Spark) reach the DataNodes on 127.0.0.1.
        conf.set("dfs.datanode.hostname", "127.0.0.1");

        cluster = new MiniDFSCluster.Builder(conf)
                .nameNodePort(port)
                .nameNodeHttpPort(httpPort)
                .numDataNodes(DATANODES)
                .format(true)
                .build();
        cluster.waitActive();
        namenodeUp = true;
        for (int i = 0; i < DATANODES; i++) {
            dnAddr[i] = cluster.getDataNodes().get(i).getDatanodeId().getXferAddr();
        }
        cluster.setLeasePeriod(leaseSoft, leaseHard);
        selfCheck(cluster.getFileSystem());

        ServerSocket control = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                cluster.shutdown();
            } catch (Throwable t) {
                // exiting anyway
            }
        }));
        write(new File(dir, "pid"), ProcessHandle.current().pid() + "\n");
        write(new File(dir, "control"), "127.0.0.1:" + control.getLocalPort() + "\n");
        write(new File(dir, "ready"), "namenode=127.0.0.1:" + port + " datanodes=" + String.join(",", dnAddr) + "\n");
        System.out.println("MiniHdfs ready: hdfs://127.0.0.1:" + port + " datanodes " + String.join(" ", dnAddr)
                + " control 127.0.0.1:" + control.getLocalPort());

        while (true) {
            try (Socket s = control.accept();
                 BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                 PrintWriter out = new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8)) {
                String line;
                while ((line = in.readLine()) != null) {
                    line = line.trim();
                    if (line.isEmpty()) {
                        continue;
                    }
                    String reply;
                    try {
                        reply = handle(line.split("\\s+"));
                    } catch (Throwable t) {
                        reply = "error " + t.toString().replace('\n', ' ');
                    }
                    System.out.println("control: " + line + " -> " + reply);
                    out.println(reply);
                    if (line.equals("shutdown")) {
                        out.flush();
                        System.exit(0);
                    }
                }
            } catch (Exception e) {
                System.out.println("control connection: " + e);
            }
        }
    }

    static synchronized String handle(String[] cmd) throws Exception {
        switch (cmd[0]) {
            case "status":
                return "ok namenode=" + (namenodeUp ? "up" : "down") + " datanodes=" + liveDataNodes() + "/" + DATANODES;
            case "stop-datanode": {
                int i = slot(cmd);
                if (stopped[i] != null) {
                    return "ok already stopped";
                }
                MiniDFSCluster.DataNodeProperties p = cluster.stopDataNode(dnAddr[i]);
                if (p == null) {
                    return "error no running datanode " + dnAddr[i];
                }
                stopped[i] = p;
                return "ok stopped " + dnAddr[i];
            }
            case "start-datanode": {
                int i = slot(cmd);
                if (stopped[i] == null) {
                    return "ok already running";
                }
                if (!cluster.restartDataNode(stopped[i], true)) {
                    return "error restart failed";
                }
                stopped[i] = null;
                if (namenodeUp) {
                    cluster.waitActive();
                }
                return "ok started " + dnAddr[i];
            }
            case "stop-namenode":
                if (namenodeUp) {
                    cluster.shutdownNameNode(0);
                    namenodeUp = false;
                }
                return "ok";
            case "start-namenode":
                if (!namenodeUp) {
                    cluster.restartNameNode(0, true);
                    namenodeUp = true;
                    cluster.setLeasePeriod(leaseSoft, leaseHard);
                    long deadline = System.currentTimeMillis() + 60_000;
                    while (cluster.getNamesystem().isInSafeMode() && System.currentTimeMillis() < deadline) {
                        Thread.sleep(100);
                    }
                }
                return "ok";
            case "lease":
                leaseSoft = Long.parseLong(cmd[1]);
                leaseHard = Long.parseLong(cmd[2]);
                cluster.setLeasePeriod(leaseSoft, leaseHard);
                return "ok";
            case "shutdown":
                cluster.shutdown();
                return "ok";
            default:
                return "error unknown command " + cmd[0];
        }
    }

    static int slot(String[] cmd) {
        int i = Integer.parseInt(cmd[1]);
        if (i < 0 || i >= DATANODES) {
            throw new IllegalArgumentException("datanode index " + i + " not in 0.." + (DATANODES - 1));
        }
        return i;
    }

    static int liveDataNodes() {
        int n = 0;
        for (DataNode dn : cluster.getDataNodes()) {
            if (dn.isDatanodeUp()) {
                n++;
            }
        }
        return n;
    }

    // selfCheck writes a file through all DataNodes and reads it back, so "ready"
    // means writes and reads work, not only that the processes started.
    static void selfCheck(FileSystem fs) throws Exception {
        Path p = new Path("/.minihdfs-selfcheck");
        byte[] want = "minihdfs self-check\n".getBytes(StandardCharsets.UTF_8);
        try (FSDataOutputStream out = fs.create(p, true)) {
            out.write(want);
        }
        byte[] got = new byte[want.length];
        try (FSDataInputStream in = fs.open(p)) {
            in.readFully(got);
        }
        if (!java.util.Arrays.equals(want, got)) {
            throw new IllegalStateException("self-check read back different bytes");
        }
        short repl = fs.getFileStatus(p).getReplication();
        fs.delete(p, false);
        System.out.println("self-check: wrote and read a file with replication " + repl);
    }

    static void write(File f, String s) throws Exception {
        File tmp = new File(f.getPath() + ".tmp");
        Files.writeString(tmp.toPath(), s);
        Files.move(tmp.toPath(), f.toPath(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
